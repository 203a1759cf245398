"""The plugin's boundary, both ways (issue 13): of the blog, ``blog.comments`` imports only the leaves
blog.extensions and blog.sanitize; the blog's own modules reach the plugin only through the public names
of ``blog.comments`` (its ``__all__``), never its modules. Relative imports are resolved first, so a
``from ..posts import models`` cannot slip through; and importing the plugin loads nothing else of the blog."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import blog.comments

PLUGIN = Path(blog.comments.__file__).parent
PACKAGE = PLUGIN.parent
ALLOWED_BLOG_MODULES = {"blog", "blog.extensions", "blog.sanitize"}


def module_name(path: Path) -> str:
    """The dotted name of a module of the blog package ("blog.comments.views")."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, is_package: bool = False) -> set[tuple[str, str | None]]:
    """(module, name) for every import in ``source``, the code of ``module``; a relative import is resolved
    against the module's package, as Python resolves it."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {(alias.name, None) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            imported = ".".join([*base, *([node.module] if node.module else [])])
            found |= {(imported, alias.name) for alias in node.names}
    return found


def plugin_reaches_out(source: str, module: str, is_package: bool = False) -> set[str]:
    """The modules of the blog outside the plugin and its two leaves that plugin code imports
    (``from blog import commenting`` imports the module blog.commenting)."""
    reached = {f"blog.{name}" if imported == "blog" and name else imported
               for imported, name in imports(source, module, is_package)}
    return {name for name in reached if name.startswith("blog.") and not name.startswith("blog.comments")
            and name not in ALLOWED_BLOG_MODULES}


def host_reaches_in(source: str, module: str, is_package: bool = False) -> set[str]:
    """What host code imports of the plugin but its public names: a module of it, or a name not in __all__."""
    found = set()
    for imported, name in imports(source, module, is_package):
        if imported.startswith("blog.comments."):
            found.add(imported)
        elif imported == "blog.comments" and name is not None and name not in blog.comments.__all__:
            found.add(f"blog.comments.{name}")
        elif imported == "blog" and name == "comments":
            found.add("blog.comments (as a module of blog)")
    return found


def modules(root: Path, *, inside_plugin: bool):
    for path in sorted(root.rglob("*.py")):
        if (PLUGIN in path.parents) == inside_plugin:
            yield path, module_name(path), path.name == "__init__.py"


def test_plugin_imports_only_the_leaf_modules_of_the_blog():
    checked = 0
    for path, module, is_package in modules(PLUGIN, inside_plugin=True):
        assert not plugin_reaches_out(path.read_text(), module, is_package), module
        checked += 1
    assert checked > 20


def test_the_blog_imports_only_the_plugins_public_names():
    checked = 0
    for path, module, is_package in modules(PACKAGE, inside_plugin=False):
        assert not host_reaches_in(path.read_text(), module, is_package), module
        checked += 1
    assert checked > 20


def test_a_relative_import_climbing_out_of_either_side_is_caught():
    assert plugin_reaches_out("from ..posts import models", "blog.comments.views") == {"blog.posts"}
    assert plugin_reaches_out("from .. import commenting", "blog.comments.views") == {"blog.commenting"}
    assert plugin_reaches_out("from . import models", "blog.comments", is_package=True) == set()
    assert plugin_reaches_out("from .. import posts", "blog.comments", is_package=True) == {"blog.posts"}
    assert plugin_reaches_out("from .models import Comment", "blog.comments.views") == set()
    assert plugin_reaches_out("from ..extensions import db", "blog.comments.views") == set()
    assert host_reaches_in("from .comments.models import Comment", "blog.commenting") == {"blog.comments.models"}
    assert host_reaches_in("from ..comments import forms", "blog.admin.forms") == {"blog.comments.forms"}
    assert host_reaches_in("from .comments import Comments", "blog", is_package=True) == set()


def test_every_public_name_is_there():
    assert all(hasattr(blog.comments, name) for name in blog.comments.__all__)


# Run in a fresh interpreter: a finder that refuses every module of the blog but the plugin's and its leaves.
ISOLATED_IMPORT = """
import importlib.abc, json, sys

ALLOWED = {"blog", "blog.extensions", "blog.sanitize"}

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.startswith("blog.") and name not in ALLOWED and not name.startswith("blog.comments"):
            raise ImportError(f"importing the plugin loaded {name}")
        return None

sys.meta_path.insert(0, Refuse())
import blog.comments
from blog.comments import Comments, CommentTarget
print(json.dumps(sorted(name for name in sys.modules if name == "blog" or name.startswith("blog."))))
"""


def test_importing_the_plugin_loads_nothing_else_of_the_blog():
    result = subprocess.run([sys.executable, "-c", ISOLATED_IMPORT], cwd=PACKAGE.parent, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert "blog.comments.views" in loaded
    assert {name for name in loaded if not name.startswith("blog.comments")} <= ALLOWED_BLOG_MODULES


def test_only_sanitize_imports_bleach():
    importers = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
                 if any(imported.split(".")[0] == "bleach" for imported, _ in imports(path.read_text(), "blog.x"))}
    assert importers == {"sanitize.py"}

"""The plugin's import rule: blog.comments imports only the leaves blog.extensions and blog.sanitize."""

import ast
from pathlib import Path

import blog.comments

PLUGIN = Path(blog.comments.__file__).parent
ALLOWED_BLOG_MODULES = {"blog.extensions", "blog.sanitize"}


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports stay inside the plugin
                continue
            yield node.module


def test_plugin_imports_only_the_leaf_modules_of_the_blog():
    modules = {path.relative_to(PLUGIN).as_posix(): set(imported_modules(path)) for path in PLUGIN.rglob("*.py")}
    assert "views.py" in modules and "models.py" in modules
    for name, imports in modules.items():
        from_blog = {module for module in imports if module == "blog" or module.startswith("blog.")}
        outside = {module for module in from_blog if not module.startswith("blog.comments")} - ALLOWED_BLOG_MODULES
        assert not outside, f"blog/comments/{name} imports {sorted(outside)}"


def test_only_sanitize_imports_bleach():
    package = PLUGIN.parent
    importers = {path.relative_to(package).as_posix() for path in package.rglob("*.py")
                 if any(module.split(".")[0] == "bleach" for module in imported_modules(path))}
    assert importers == {"sanitize.py"}

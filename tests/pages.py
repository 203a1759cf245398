"""Reading a served page as a browser parses it: html5lib trees (plain tag names, no namespace) and
small finders for ids, classes and text."""

import html5lib


def parse_page(page):
    """The document tree of a page, given as markup or as a response."""
    markup = page.get_data(as_text=True) if hasattr(page, "get_data") else page
    return html5lib.parse(markup, treebuilder="etree", namespaceHTMLElements=False)


def thread_of(page: str) -> str:
    """The markup of a page's comments section up to its form (or its closed note): the count, the
    comments and their pages, byte for byte."""
    start = page.index('id="comments-thread"')
    ends = [page.find(mark, start) for mark in ('<div id="respond"', '<p class="no-comments">')]
    return page[start:min(end for end in ends if end != -1)]


def parse_fragment(markup: str):
    return html5lib.parseFragment(markup, treebuilder="etree", namespaceHTMLElements=False)


def elements(root) -> list:
    """Every element in ``root``, itself included, in document order (no comment or text nodes)."""
    return [element for element in root.iter() if isinstance(element.tag, str)]


def descendants(root) -> list:
    return [element for element in elements(root) if element is not root]


def elements_by_id(tree) -> dict:
    return {element.get("id"): element for element in elements(tree) if element.get("id")}


def by_id(tree, element_id):
    """The first element with this id, or None."""
    return next((element for element in tree.iter() if element.get("id") == element_id), None)


def parents_of(tree) -> dict:
    return {child: parent for parent in tree.iter() for child in parent}


def text_of(element) -> str:
    """The element's text exactly as the DOM holds it."""
    return "".join(element.itertext())


def folded_text(element) -> str:
    """The element's text with its white space folded to single spaces, as a reader sees it."""
    return " ".join(text_of(element).split())


def classes(element) -> set[str]:
    return set((element.get("class") or "").split())


def has_class(element, name) -> bool:
    return name in classes(element)


def with_class(root, tag, name) -> list:
    return [element for element in root.iter(tag) if has_class(element, name)]


def first_with_class(root, name):
    return next((element for element in descendants(root) if has_class(element, name)), None)

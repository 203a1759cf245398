"""The seed article is served faithfully: every sentence, headings, list, links, bold and italics."""

import re
from pathlib import Path

import html5lib
import pytest

from blog.extensions import db
from blog.posts.models import Post
from blog.posts.seed import import_seed

SEED_COPY = Path(__file__).parents[1] / "data" / "seed_article.txt"
SHARED_SEED = Path(__file__).parents[3] / "shared" / "seed" / "000_3827de63963071e5.txt"
FORM_LINES = ("Laat een reactie achter", "Uw e-mailadres wordt niet gepubliceerd.")
HEADINGS = [
    "What Is Ketamine?", "How Ketamine Affects the Brain", "Strong Word: Significant",
    "Emphasized Word: Important", "The Role of Glutamate", "Medical Uses of Ketamine", "Anesthesia",
    "Pain Management", "Mental Health Research", "How Quickly Does Ketamine Work?",
    "Safety Considerations and Potential Risks", "Current Research and Future Directions", "Key Takeaways",
]
SIDE_EFFECTS = ["Dizziness", "Nausea", "Increased blood pressure", "Altered perception", "Confusion", "Sedation"]
REFERENCES = ["https://www.nimh.nih.gov", "https://www.ema.europa.eu", "https://medlineplus.gov", "https://www.who.int"]


def article_lines():
    """The seed's lines of article text: all but its last two, which are the form's texts."""
    lines = [line.strip() for line in SEED_COPY.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[:-2]


def sentences(line):
    return [part for part in re.split(r"(?<=[.?!:])\s+", line) if part]


@pytest.fixture
def article(app, client):
    with app.app_context():
        import_seed()
        db.session.commit()
    response = client.get("/how-ketamine-works/")
    assert response.status_code == 200
    document = html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=False)
    return document.find(".//article")


def text_of(element):
    return " ".join("".join(element.itertext()).split())


@pytest.mark.skipif(not SHARED_SEED.exists(), reason="shared/seed is not beside this checkout")
def test_test_copy_matches_the_shared_seed():
    assert SEED_COPY.read_bytes() == SHARED_SEED.read_bytes()


def test_every_sentence_in_order(article):
    body = text_of(article)
    position = 0
    for line in article_lines()[1:]:
        for sentence in sentences(line.lstrip("• ")):
            found = body.find(sentence, position)
            assert found >= 0, f"missing or out of order: {sentence!r}"
            position = found + len(sentence)


def test_title_is_the_first_heading(article):
    assert text_of(article.find(".//h1")) == article_lines()[0]


def test_section_titles_are_headings(article):
    headings = [text_of(h) for h in article.iter() if h.tag in {"h2", "h3"}]
    assert headings == HEADINGS


def test_side_effects_are_one_list(article):
    lists = article.findall(".//ul")
    assert len(lists) == 1
    assert [text_of(item) for item in lists[0].findall("li")] == SIDE_EFFECTS


def test_references_are_links(article):
    links = {link.get("href"): text_of(link) for link in article.iter("a")}
    for url in REFERENCES:
        assert links.get(url) == url


def test_strong_and_emphasis_demos(article):
    strong = article.findall(".//strong")
    emphasis = article.findall(".//em")
    assert [text_of(element) for element in strong] == ["significant"]
    assert [text_of(element) for element in emphasis] == ["important"]
    assert "One significant aspect of ketamine" in text_of(article)


def test_form_lines_are_not_article_text(article):
    body = text_of(article)
    for line in FORM_LINES:
        assert line not in body


def test_seed_twice_leaves_one_post(app):
    with app.app_context():
        first, is_added_first = import_seed()
        db.session.commit()
        second, is_added_second = import_seed()
        db.session.commit()
        assert (is_added_first, is_added_second) == (True, False)
        assert db.session.query(Post).count() == 1
        assert second.id == first.id

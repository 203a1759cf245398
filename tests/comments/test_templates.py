"""Plugin templates live under comments/ so a host overrides any of them by path."""

from jinja2 import ChoiceLoader, DictLoader

OVERRIDE = '<div id="respond"><form id="commentform" class="host-form">Host form for {{ target.title }}</form></div>'


def test_host_override_of_the_form_wins(app, client, post):
    app.jinja_loader = ChoiceLoader([DictLoader({"comments/_form.html": OVERRIDE}), app.jinja_loader])
    page = client.get("/hello/").get_data(as_text=True)
    assert '<form id="commentform" class="host-form">Host form for Hello world</form>' in page
    assert "Leave a Reply" not in page

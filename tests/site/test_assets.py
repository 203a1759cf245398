"""Static files: fingerprinted URLs that change with the file, and a year of browser caching."""

import os
import re


def stylesheet_urls(client) -> list[str]:
    with client.get("/healthz"):
        pass
    with client.get("/nothing-here/") as response:
        return re.findall(r'<link rel="stylesheet" href="([^"]+)">', response.get_data(as_text=True))


def test_static_urls_carry_the_files_digest_and_are_cached_for_a_year(app, client):
    [url] = stylesheet_urls(client)
    assert re.fullmatch(r"/static/css/site\.css\?v=[0-9a-f]{12}", url)
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.cache_control.max_age == 365 * 24 * 3600


def test_a_changed_file_gets_a_new_url(app, client, tmp_path):
    app.static_folder = str(tmp_path)
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body { color: red; }")
    [before] = stylesheet_urls(client)
    (tmp_path / "css" / "site.css").write_text("body { color: blue; }")
    os.utime(tmp_path / "css" / "site.css", (1, 1))
    [after] = stylesheet_urls(client)
    assert before != after

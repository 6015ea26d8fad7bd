"""The pages of runback serve through Flask's test client: entry, validation, guards."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from runback.io.diary import read_diary
from runback.web import APP_CSP, REPORT_CSP, Athlete
from tests.web.helpers import HEADER, Page, csrf_of, local_today, make_app, replaces_of


def rows(path):
    return read_diary(path).pain


def test_today_page_offers_the_whole_entry_on_one_form(client):
    page = Page(client)
    html = page.html
    assert page.response.headers["Content-Security-Policy"] == APP_CSP
    assert "<script" not in html
    for v in range(11):
        assert f'name="pain" id="pain-{v}" value="{v}"' in html
    for word in ("lower", "spasm", "during_run", "foam_roller", "saddle_numbness"):
        assert f'value="{word}"' in html
    assert f'value="{local_today().isoformat()}"' in html      # the day the form saves
    assert "?date=yesterday" in html                           # one tap away
    assert replaces_of(html) == ""                             # today is not logged yet


def test_saving_today_appends_one_row_and_redirects_to_the_day(client, diary):
    before = diary.read_bytes()
    page = Page(client)
    today = local_today().isoformat()
    r = page.post(date=today, pain="3", location="lower", timing="morning",
                  sleep_hours="7.5", stress="4", interventions=["stretching", "core"],
                  notes="stiff after the hills")
    assert r.status_code == 303
    assert r.headers["Location"] == f"/?date={today}&saved=appended"
    text = diary.read_bytes()
    assert text.startswith(before)                             # older rows byte for byte
    assert text[len(before):] == (f"{today},3,lower,,morning,7.5,4,stretching;core,,"
                                  f"stiff after the hills\n").encode()
    shown = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Saved to the diary" in shown
    assert 'value="3" checked' in shown and replaces_of(shown) != ""


def test_correcting_a_day_replaces_its_row_and_a_repeat_writes_nothing(client, diary):
    day = (local_today() - dt.timedelta(days=2)).isoformat()
    page = Page(client, f"/?date={day}")
    assert 'value="4" checked' in page.html and "hill repeats" in page.html
    r = page.post(date=day, pain="1", location="lower", notes="hill repeats, better")
    assert r.headers["Location"].endswith("saved=replaced")
    pain = rows(diary)
    assert len(pain) == 2                                      # corrected, not added
    row = pain[pain["date"] == day].iloc[0]
    assert row["pain"] == 1 and row["notes"] == "hill repeats, better"
    assert row["interventions"] is not None and str(row["interventions"]) == "<NA>"
    mtime = os.stat(diary).st_mtime_ns
    again = Page(client, f"/?date={day}")
    r = again.post(date=day, pain="1", location="lower", notes="hill repeats, better")
    assert r.headers["Location"].endswith("saved=unchanged")
    assert os.stat(diary).st_mtime_ns == mtime


def test_a_stale_form_never_overwrites_a_row_changed_since(client, diary):
    day = (local_today() - dt.timedelta(days=3)).isoformat()
    page = Page(client, f"/?date={day}")
    # the runner edits the same row by hand meanwhile
    diary.write_text(diary.read_text().replace(f"{day},2,", f"{day},5,"), encoding="utf-8")
    r = page.post(date=day, pain="2")
    assert r.headers["Location"].endswith("saved=appended")
    pain = rows(diary)
    assert sorted(pain.loc[pain["date"] == day, "pain"]) == [2, 5]   # both kept


@pytest.mark.parametrize(("fields", "message", "field"), [
    ({"pain": "11"}, "pain &#39;11&#39; is outside 0-10", "pain"),
    ({"pain": "-1"}, "pain &#39;-1&#39; is outside 0-10", "pain"),
    ({"pain": "lots"}, "pain &#39;lots&#39; is not a number", "pain"),
    ({"pain": ""}, "pain is missing", "pain"),
    ({"pain": "3", "red_flags": ["fever", "headache"]}, "unknown red flags &#39;headache&#39;",
     "red_flags"),
    ({"pain": "3", "location": "neck"}, "unknown location &#39;neck&#39;", "location"),
    ({"pain": "3", "sleep_hours": "25"}, "sleep hours &#39;25&#39; is outside 0-24",
     "sleep_hours"),
    ({"pain": "3", "stress": "x"}, "stress &#39;x&#39; is not a number", "stress"),
])
def test_invalid_entry_shows_its_message_and_writes_nothing(client, diary, fields, message,
                                                           field):
    before = diary.read_bytes()
    page = Page(client)
    r = page.post(date=local_today().isoformat(), notes="kept on the form", **fields)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert message in html and "Not saved" in html
    assert "kept on the form" in html                          # what was typed stays
    block = html[html.index(f'id="field-{field}"'):]
    block = block[:block.find('id="field-', 10)]
    assert message in block                                    # beside its field
    assert diary.read_bytes() == before
    assert not [p for p in os.listdir(diary.parent) if p.endswith(".tmp")]


def test_future_or_broken_date_is_refused_on_the_form(client, diary):
    before = diary.read_bytes()
    page = Page(client)
    tomorrow = (local_today() + dt.timedelta(days=1)).isoformat()
    r = page.post(date=tomorrow, pain="2")
    assert r.status_code == 422
    assert f"date &#39;{tomorrow}&#39; is in the future" in r.get_data(as_text=True)
    r = page.post(date="04/03/2025", pain="2")
    assert r.status_code == 422 and "ambiguous" in r.get_data(as_text=True)
    assert diary.read_bytes() == before
    # asking for a future day shows today with the reason
    html = client.get(f"/?date={tomorrow}").get_data(as_text=True)
    assert "is in the future" in html and f'value="{local_today()}"' in html


def test_post_without_or_with_a_foreign_session_token_is_refused(diary):
    before = diary.read_bytes()
    app = make_app(diary)
    attacker = app.test_client()
    r = attacker.post("/", data={"date": local_today().isoformat(), "pain": "9"})
    assert r.status_code == 400 and "Nothing was written" in r.get_data(as_text=True)
    # a token from another session (the attacker's own) does not fit the victim's
    victim = app.test_client()
    Page(victim)
    token = csrf_of(Page(attacker).html)
    r = victim.post("/", data={"csrf_token": token, "date": local_today().isoformat(),
                               "pain": "9"})
    assert r.status_code == 400
    assert diary.read_bytes() == before


def test_notes_with_markup_are_escaped_everywhere(client, diary):
    page = Page(client)
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    day = local_today().isoformat()
    assert page.post(date=day, pain="2", notes=evil).status_code == 303
    assert evil in diary.read_text()                           # the file keeps what was typed
    for url in (f"/?date={day}", "/diary"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    r = client.get("/report")
    assert r.status_code == 200 and r.headers["Content-Security-Policy"] == REPORT_CSP
    assert "<script>alert" not in r.get_data(as_text=True)


def test_a_red_flag_shows_its_advice_first(client, diary):
    page = Page(client)
    day = local_today().isoformat()
    r = page.post(date=day, pain="5", red_flags=["saddle_numbness"])
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    main = html[html.index("<main>"):]
    assert main.index("See a doctor") < main.index("<form")
    assert "Seek emergency care today" in main and "saddle" in main
    diary_page = client.get("/diary").get_data(as_text=True)
    assert "Seek emergency care today" in diary_page


def test_every_page_sends_the_policy_and_no_script(client):
    for url in ("/", "/diary", "/?date=yesterday", "/static/serve.css",
                "/static/manifest.webmanifest", "/nowhere"):
        with client.get(url) as r:                             # a static file is closed
            assert r.headers["Content-Security-Policy"] == APP_CSP, url
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert "<script" not in r.get_data(as_text=True)


def test_diary_page_shows_eight_weeks_the_missing_days_and_edit_links(client, diary):
    html = client.get("/diary").get_data(as_text=True)
    today = local_today()
    monday = today - dt.timedelta(days=today.weekday() + 49)
    n_days = (today - monday).days + 1
    assert f"{n_days - 2} of {n_days} days not logged" in html
    assert html.count("<tr>") == 8 + 1                          # 8 weeks and the header row
    day = (today - dt.timedelta(days=2)).isoformat()
    keys = re.findall(rf'href="/\?date={day}&amp;entry=([^"]+)"', html)
    assert len(keys) == 1
    edit = Page(client, f"/?date={day}&entry={keys[0]}")
    assert replaces_of(edit.html) == keys[0]
    # a row key of another day never moves that row: the day's own entry is edited
    other = (today - dt.timedelta(days=3)).isoformat()
    edit = Page(client, f"/?date={other}&entry={keys[0]}")
    assert replaces_of(edit.html) not in ("", keys[0])


def test_a_day_with_several_rows_edits_the_one_chosen(tmp_path):
    diary = tmp_path / "d.csv"
    day = (local_today() - dt.timedelta(days=1)).isoformat()
    diary.write_text(HEADER + f"{day},2,,,morning,,,,,\n{day},6,,,after_run,,,,,\n")
    client = make_app(diary).test_client()
    page = Page(client, f"/?date={day}")
    assert 'value="6" checked' in page.html and "2 entries" in page.html   # the latest
    page.post(date=day, pain="5", timing="after_run")
    assert list(rows(diary)["pain"]) == [2, 5]


def test_a_missing_diary_is_created_at_the_first_save(tmp_path):
    diary = tmp_path / "new" / "pain.csv"
    diary.parent.mkdir()
    client = make_app(diary).test_client()
    assert "first save creates it" in client.get("/diary").get_data(as_text=True)
    Page(client).post(date=local_today().isoformat(), pain="0")
    assert diary.read_text().startswith("date,pain,")
    assert list(rows(diary)["pain"]) == [0]


def test_an_unreadable_diary_is_one_clear_message(tmp_path):
    diary = tmp_path / "d.csv"
    diary.write_text("when,how much\n2025-01-01,3\n")
    r = make_app(diary).test_client().get("/")
    assert r.status_code == 500
    assert "the diary header lacks" in r.get_data(as_text=True)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "192.168.1.5:8765"])
def test_a_loopback_server_answers_only_to_its_own_names(client, host):
    assert client.get("/", headers={"Host": host}).status_code == 403
    for ok in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765"):
        assert client.get("/", headers={"Host": ok}).status_code == 200


def test_with_a_secret_every_request_needs_it(diary):
    app = make_app(diary, token="s3cret-token")
    c = app.test_client()
    for url in ("/", "/diary", "/report", "/static/serve.css"):
        with c.get(url, headers={"Host": "192.168.1.5:8765"}) as r:
            assert r.status_code == 401, url
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
            assert "<form" not in r.get_data(as_text=True)
    assert c.get("/?token=wrong").status_code == 401
    assert c.post("/", data={"pain": "3"}).status_code == 401
    r = c.get("/diary?token=s3cret-token")
    assert r.status_code == 303 and r.headers["Location"] == "/diary"   # token leaves the URL
    assert c.get("/diary").status_code == 200                  # the session remembers it
    other = app.test_client()
    assert other.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert other.get("/", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_report_is_cached_and_rebuilt_when_the_diary_changes(tmp_path, diary):
    from tests.report.helpers import write_athlete

    folder = write_athlete(tmp_path / "ana", days=21, flare_days=())
    athlete = Athlete("me", [folder / "activities"], diary)
    client = make_app(diary, athletes=[athlete]).test_client()
    first = client.get("/report").get_data(as_text=True)
    assert "<html" in first and athlete.last_build_s is not None
    built = athlete.last_build_s
    assert client.get("/report").get_data(as_text=True) == first
    assert athlete.last_build_s is built                       # not rebuilt
    Page(client).post(date=local_today().isoformat(), pain="7",
                      red_flags=["leg_weakness"])
    second = client.get("/report").get_data(as_text=True)
    assert second != first and "leg weakness" in second.lower()


def test_team_view_lists_red_flags_first_and_serves_each_athlete(tmp_path):
    today = local_today()
    folders = {}
    for name, body in (("ana", f"{today},2,,,,,,,,\n"),
                       ("ben", f"{today - dt.timedelta(days=1)},6,,,,,,,bladder_bowel,\n"),
                       ("cleo", "")):
        folders[name] = tmp_path / name
        folders[name].mkdir()
        (folders[name] / "pain_diary.csv").write_text(HEADER + body)
    athletes = [Athlete(n, [f], f / "pain_diary.csv") for n, f in folders.items()]
    client = make_app(None, athletes=athletes, team=True).test_client()
    html = client.get("/").get_data(as_text=True)
    order = [html.index(f'<th scope="row">{n}</th>') for n in ("ben", "cleo", "ana")]
    assert order == sorted(order)                              # flags first, then fewest logs
    assert "bladder bowel" in html or "change in bladder or bowel control" in html
    assert client.get("/a/ben/diary").status_code == 200
    page = Page(client, "/a/cleo/")
    r = page.post(action="/a/cleo/", date=today.isoformat(), pain="1")
    assert r.status_code == 303 and r.headers["Location"].startswith("/a/cleo/?date=")
    assert list(rows(folders["cleo"] / "pain_diary.csv")["pain"]) == [1]
    assert client.get("/a/nobody/").status_code == 404
    assert client.get("/diary").status_code == 404


def test_a_save_can_rebuild_the_report_in_the_background(tmp_path, diary):
    from runback.web import ServeConfig, create_app

    athlete = Athlete("me", [], diary)
    client = create_app(ServeConfig([athlete], prebuild=True)).test_client()
    client.get("/report")
    built = athlete.last_build_s
    Page(client).post(date=local_today().isoformat(), pain="8", red_flags=["fever"])
    thread = athlete._prebuild
    assert thread is not None
    thread.join(timeout=120)
    assert athlete.prebuild_error == "" and athlete.last_build_s is not built
    key = athlete.inputs()
    assert athlete._report[0] == key                            # ready before it is asked
    assert "fever" in client.get("/report").get_data(as_text=True).lower()


def test_a_note_the_file_cannot_hold_is_a_message_and_the_file_is_untouched(tmp_path):
    diary = tmp_path / "d.csv"
    day = (local_today() - dt.timedelta(days=1)).isoformat()
    diary.write_bytes(f"date,pain,notes\n{day},2,caf\xe9\n".encode("cp1252"))
    before = diary.read_bytes()
    client = make_app(diary).test_client()
    r = Page(client).post(date=local_today().isoformat(), pain="1", notes="\U0001f600 run")
    assert r.status_code == 500
    html = r.get_data(as_text=True)
    assert "cannot be written in this cp1252 file" in html and "\U0001f600 run" in html
    assert diary.read_bytes() == before


def test_an_oversized_post_is_refused_and_writes_nothing(client, diary):
    before = diary.read_bytes()
    r = Page(client).post(date=local_today().isoformat(), pain="1", notes="x" * 100_000)
    assert r.status_code == 413
    assert diary.read_bytes() == before

"""The import page: upload, map an odd header, dry run listing bad rows, then import."""

from __future__ import annotations

from sqlalchemy import text

from tests.app.conftest import sign_in

GOOD = (
    "E-mail Address,first_name,last_name,city\nana@x.io,Ana,Rossi,Milano\nbo@x.io,Bo,Berg,Malmö\n"
).encode()
BAD = (
    "E-mail Address,first_name,last_name,city\n"
    "ana@x.io,Ana,Rossi,Milano\nnot-an-email,Bo,Berg,Malmö\n,,Nameless,Roma\n"
).encode()


def _upload(app_factory, content: bytes):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), "ada")
    at.switch_page("../pages/import_data.py").run()
    at.file_uploader[0].set_value(("people.csv", content, "text/csv")).run()
    at.selectbox(key="map:contacts:E-mail Address").select("email").run()
    return at


def _count(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM contacts")).scalar()


def test_dry_run_then_import_with_a_mapped_header(app_factory, admin, engine) -> None:
    at = _upload(app_factory, GOOD)
    at.button[0].click().run()
    assert "would create 2 new" in at.success[0].value and _count(engine) == 0
    at.button[1].click().run()
    assert "Imported: 2 new" in at.success[0].value
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT city FROM contacts WHERE email = 'bo@x.io'")).scalar() == "Malmö"
        )


def test_bad_rows_are_all_listed_and_nothing_is_written(app_factory, admin, engine) -> None:
    at = _upload(app_factory, BAD)
    at.button[1].click().run()
    assert not at.exception
    problems = next(df.value for df in at.dataframe if "Problem" in df.value.columns)
    assert sorted(problems["Line"].tolist()) == [3, 4]
    assert _count(engine) == 0

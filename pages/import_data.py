"""Import a CSV or Excel file: preview, map columns, dry run listing every bad row, then import."""

import pandas as pd
import streamlit as st

from app.ui.session import current_user, db_session
from core.errors import CRMError, ValidationError
from core.services.custom_fields import definitions
from core.services.imports import IMPORT_FORMATS, auto_mapping, import_rows, read_table

IGNORE = "(ignore)"

st.title("Import")
st.caption("All rows or none: a file with a bad row writes nothing, and every bad row is listed.")
with db_session() as session:
    user = current_user(session)
    entity = st.selectbox("What the file holds", list(IMPORT_FORMATS))
    st.caption("Expected columns: " + ", ".join(IMPORT_FORMATS[entity]))
    upload = st.file_uploader("CSV or Excel file", type=["csv", "xlsx"])
    if upload is None:
        st.stop()
    try:
        frame = read_table(upload, filename=upload.name)
    except CRMError as error:
        st.error(str(error))
        st.stop()
    st.write(f"**{len(frame):,} rows**, preview:")
    st.dataframe(frame.head(20), hide_index=True)

    custom = {d.name: d.label for d in definitions(session, entity)}
    suggested = auto_mapping(entity, list(frame.columns), custom)
    targets = [IGNORE, *IMPORT_FORMATS[entity], *[f"custom.{name}" for name in custom]]
    st.subheader("Columns")
    mapping: dict[str, str | None] = {}
    grid = st.columns(3)
    for position, header in enumerate(frame.columns):
        default = suggested.get(header)
        default = f"custom.{default}" if default in custom else default
        choice = grid[position % 3].selectbox(header, targets, key=f"map:{entity}:{header}",
                                              index=targets.index(default) if default in targets else 0)
        mapping[header] = None if choice == IGNORE else choice
    duplicates = st.radio("When a record already exists (same email, SKU or order number)",
                          ["update", "skip"], horizontal=True,
                          format_func={"update": "update it", "skip": "leave it unchanged"}.get)

    check, run = st.columns(2)
    dry_run = check.button("Check the file (dry run)", icon=":material/fact_check:")
    real_run = run.button("Import", type="primary", icon=":material/upload:")
    if dry_run or real_run:
        bar = st.progress(0.0, text="Checking every row…" if dry_run else "Importing…")
        try:
            result = import_rows(session=session, user=user, entity=entity, frame=frame, mapping=mapping,
                                 dry_run=dry_run, on_duplicate=duplicates,
                                 progress=lambda done: bar.progress(min(1.0, done)), file_name=upload.name)
        except ValidationError as error:
            bar.empty()
            st.error(str(error).split(":")[0] + ". Fix these rows and try again:")
            st.dataframe(pd.DataFrame([{"Line": e.row, "Column": e.field, "Problem": e.message}
                                       for e in error.errors]), hide_index=True, width="stretch")
        except CRMError as error:
            bar.empty()
            st.error(str(error))
        else:
            verb = "The file is fine: it would create" if dry_run else "Imported:"
            st.success(f"{verb} {result.created:,} new, {result.updated:,} updated, "
                       f"{result.skipped:,} skipped of {result.rows:,} rows.")

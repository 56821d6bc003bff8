"""``POST /api/v1/loads``: upload interchange files into the store (editor key, all or nothing)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from api.access import Principal, require_role
from api.deps import get_app_settings, get_database_url
from api.errors import PayloadTooLarge
from api.input_guard import check_content_length
from api.openapi import errors
from geo_risk.errors import InvalidInput
from geo_risk.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["loads"])


#: Parts and fields one upload may carry (a GeoPackage, or the files of a few Shapefile layers).
MAX_FILES = 200


def _too_large(limit_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"upload exceeds the limit of {limit_bytes / 1e6:g} MB (GEO_RISK_MAX_UPLOAD_MB); nothing was loaded: "
        "split the file or load it with `geo-risk load` on the server"
    )


async def _read_form(request: Request, limit_bytes: int) -> list[StarletteUpload]:
    """The uploaded files, read with a hard cap: at most ``limit_bytes`` of body are ever read.

    A declared ``Content-Length`` over the cap is refused before a byte of the body is read; a body
    without one (chunked) is counted as it arrives and reading stops at the cap. Starlette's
    multipart parser (python-multipart) does the parsing on the capped stream.
    """
    check_content_length(request, limit_bytes, _too_large)
    received = 0

    async def capped() -> dict:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit_bytes:
                raise _too_large(limit_bytes)
        return message

    try:
        form = await Request(request.scope, capped).form(max_files=MAX_FILES, max_fields=MAX_FILES)
    except HTTPException as exc:  # the parser's own refusals (malformed multipart, too many parts)
        raise InvalidInput(f"the upload is not a usable multipart/form-data body: {exc.detail}") from None
    files = [v for k, v in form.multi_items() if k == "files" and isinstance(v, StarletteUpload)]
    if not files:
        raise InvalidInput("the upload carries no file: send one or more parts named 'files' "
                           "(multipart/form-data)")
    return files


def _save(upload: StarletteUpload, folder: Path) -> None:
    name = Path(upload.filename or "upload").name
    if not name or name.startswith("."):
        raise InvalidInput(f"upload file name {upload.filename!r} is not usable")
    with open(folder / name, "wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)


def _audit(url: str, principal: Principal, outcome: str, details: dict) -> None:
    from geo_risk.store.audit import record

    record(url, actor=principal.key_id or "anonymous", role=principal.role, channel="api", action="load",
           target=",".join(details.get("files", [])), outcome=outcome, details=details)


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": ["files"],
            "properties": {"files": {
                "type": "array", "items": {"type": "string", "format": "binary"},
                "description": "A .gpkg, or layer files named <layer>.geojson/.csv/.shp+.shx+.dbf+.prj…",
            }},
        }}},
    },
}


@router.post("/loads", summary="Load interchange layers (GeoPackage, or the per-layer files of one load)",
             openapi_extra=_UPLOAD_BODY,
             responses=errors(413, 422, _422="A parameter breaks its rule, the upload is not multipart/form-data with "
                                        "files, or rows are invalid (problems names each; nothing was loaded)"))
async def create_load(
    request: Request,
    crs: Annotated[str | None, Query(description="CRS of the coordinates: EPSG code, gcj02 or bd09")] = None,
    encoding: Annotated[str | None, Query(description="Text encoding, e.g. gb18030")] = None,
    dry_run: Annotated[bool, Query(description="Validate only; write nothing")] = False,
    principal: Principal = Depends(require_role("editor")),
    settings: Settings = Depends(get_app_settings),
    url: str = Depends(get_database_url),
) -> dict[str, object]:
    from geo_risk.io.load import load_path
    from geo_risk.store.db import get_engine

    # The key was checked (require_role) before any of the body was read; now the body, capped.
    files = await _read_form(request, int(settings.max_upload_mb * 1e6))
    with tempfile.TemporaryDirectory(prefix="geo_risk_upload_") as tmp:
        folder = Path(tmp)
        for upload in files:
            await run_in_threadpool(_save, upload, folder)
        target = folder
        names = list(folder.iterdir())
        if len(names) == 1 and names[0].suffix.lower() == ".gpkg":
            target = names[0]

        def run():  # noqa: ANN202
            raw = get_engine(url).raw_connection()
            try:
                return load_path(
                    target,
                    raw.driver_connection,
                    crs=crs,
                    encoding=encoding,
                    dry_run=dry_run,
                    chunk_rows=settings.load_chunk_rows,
                )
            finally:
                raw.close()

        names_sent = [Path(u.filename or "").name for u in files]
        try:
            report = await run_in_threadpool(run)
        except Exception as exc:
            if not dry_run:
                await run_in_threadpool(_audit, url, principal, "failed", {"files": names_sent, "error": str(exc)})
            raise
        grading = None
        if not dry_run:
            from geo_risk.grading import grade_store

            grading = (await run_in_threadpool(grade_store, url, report.changes)).summary()
            await run_in_threadpool(request.app.state.version_watch.refresh)  # our next tile is fresh at once
            await run_in_threadpool(
                _audit, url, principal, "ok", {"files": names_sent, "counts": report.counts, "grading": grading}
            )
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "dry_run": report.dry_run,
        "layers": report.layers,
        "crs": report.crs,
        "counts": report.counts,
        "warnings": [str(w) for w in report.warnings],
        "grading": grading,
        "loaded_by": principal.role,
    }

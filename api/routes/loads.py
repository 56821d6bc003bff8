"""``POST /api/v1/loads``: upload interchange files into the store (editor key, all or nothing)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from api.access import Principal, require_role
from api.deps import get_app_settings, get_database_url
from api.errors import PayloadTooLarge
from geo_risk.errors import InvalidInput
from geo_risk.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["loads"])


def _save(upload: UploadFile, folder: Path, limit_bytes: int, used: int) -> int:
    name = Path(upload.filename or "upload").name
    if not name or name.startswith("."):
        raise InvalidInput(f"upload file name {upload.filename!r} is not usable")
    size = used
    with open(folder / name, "wb") as out:
        while block := upload.file.read(1 << 20):
            size += len(block)
            if size > limit_bytes:
                raise PayloadTooLarge(
                    f"upload exceeds the limit of {limit_bytes / 1e6:g} MB (GEO_RISK_MAX_UPLOAD_MB); "
                    f"nothing was loaded: split the file or load it with `geo-risk load` on the server"
                )
            out.write(block)
    return size


def _audit(url: str, principal: Principal, outcome: str, details: dict) -> None:
    from geo_risk.store.audit import record

    record(url, actor=principal.key_id or "anonymous", role=principal.role, channel="api", action="load",
           target=",".join(details.get("files", [])), outcome=outcome, details=details)


@router.post("/loads", summary="Load interchange layers (GeoPackage, or the per-layer files of one load)")
async def create_load(
    request: Request,
    files: Annotated[
        list[UploadFile],
        File(description="A .gpkg, or layer files named <layer>.geojson/.csv/.shp+.shx+.dbf+.prj…"),
    ],
    crs: Annotated[str | None, Query(description="CRS of the coordinates: EPSG code, gcj02 or bd09")] = None,
    encoding: Annotated[str | None, Query(description="Text encoding, e.g. gb18030")] = None,
    dry_run: Annotated[bool, Query(description="Validate only; write nothing")] = False,
    principal: Principal = Depends(require_role("editor")),
    settings: Settings = Depends(get_app_settings),
    url: str = Depends(get_database_url),
) -> dict[str, object]:
    from geo_risk.io.load import load_path
    from geo_risk.store.db import get_engine

    limit = int(settings.max_upload_mb * 1e6)
    with tempfile.TemporaryDirectory(prefix="geo_risk_upload_") as tmp:
        folder = Path(tmp)
        used = 0
        for upload in files:
            used = _save(upload, folder, limit, used)
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

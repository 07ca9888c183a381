"""Opening a file kept in the evidence ledger (recording, screenshot, signed paper form) from a
member's record: staff in scope only, every opening audited."""

from __future__ import annotations

import io
from functools import partial
from typing import Any

from flask import Blueprint, send_file

from service.admin import scope
from service.admin.auth import login_required, requester, signed_in_user
from service.errors import NotFound
from service.evidence import blobs
from service.unit_of_work import run_unit

bp = Blueprint("admin_evidence", __name__, url_prefix="/admin")


@bp.get("/attachments/<int:attachment_id>")
@login_required
def open_file(attachment_id: int) -> Any:
    """Send one kept file as it was uploaded, and audit that it was opened."""
    att = scope.get_attachment(signed_in_user(), attachment_id)
    data = blobs.read(att.sha256)
    if data is None:
        raise NotFound(f"附件“{att.filename}”的文件缺失，请联系管理员核查证据存储")
    run_unit(partial(requester().audit, "evidence.open_attachment", target_type="attachment",
                     target_id=att.id, sha256=att.sha256, entry_id=att.entry_id))
    response = send_file(io.BytesIO(data), mimetype=att.mime, as_attachment=True,
                         download_name=att.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

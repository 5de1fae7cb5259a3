"""Paper journals through the API (the council's page does the same): upload a journal (CSV or XLSX) and get
its preview line by line, record its good lines through the relayer, follow them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel

from cts.api.deps import CouncilUser, RelayerDep, SessionDep
from cts.api.idempotency import IdempotencyDep
from cts.api.responses import error_responses
from cts.errors import InvalidInputError, NotFoundError
from cts.journals.checks import JournalChecker
from cts.journals.reading import MAX_BYTES, JournalFileError
from cts.journals.recording import create_import, find_import, progress, record_lines, to_record
from cts.models import JournalImport, Language, User
from cts.relayer.service import RelayerService
from cts.web.files import DocumentStore
from cts.web.i18n import Translator, get_translator
from cts.web.journal_messages import file_error, reason_text
from cts.web.reads import ChainReader
from cts.web.routes.common import action_text

router = APIRouter(prefix="/h/{slug}/journals", tags=["journals"])
JournalId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The import's id")]
ERRORS = error_responses(400, 401, 403, 404, 409, 422, 429, 503)
# The file is the request's body as it is (no multipart): a CSV or an XLSX file.
FILE_BODY = {
    "requestBody": {
        "required": True,
        "description": f"The journal file itself, at most {MAX_BYTES} bytes.",
        "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    }
}


async def read_file_body(request: Request) -> bytes:
    """The body, read here (the route itself runs in a thread); the middleware already bounds its size."""
    return await request.body()


FileBody = Annotated[bytes, Depends(read_file_body)]


class JournalFileRefusedError(InvalidInputError):
    """Raised when an uploaded file cannot be read as a journal (its code says why)."""

    def __init__(self, error: JournalFileError) -> None:
        super().__init__(file_error(get_translator(Language.EN), error.code, error.params))
        self.code = error.code  # type: ignore[misc]


LineState = Literal["good", "bad", "queued", "submitted", "confirmed", "failed", "expired"]


class JournalLinePublic(BaseModel):
    """One line of the journal: what it says, and where it stands (``good``: ready to record; ``bad``: will
    not be recorded, ``reason`` says why; otherwise its action's status)."""

    row: int
    state: LineState
    reason: str | None
    message: str
    date: str | None
    resident: str
    programme: str
    description: str
    evidence: str
    action_id: str | None


class JournalPublic(BaseModel):
    id: str
    file_name: str
    file_kind: str
    ready: int
    refused: int
    statuses: dict[str, int]
    lines: list[JournalLinePublic]

    @classmethod
    def of(cls, journal: JournalImport, t: Translator) -> JournalPublic:
        current = progress(journal)
        lines = []
        for line in journal.lines:
            action = line.action
            state: LineState = action.status.value if action else ("bad" if line.reason else "good")
            message = action_text(t, action) if action is not None else reason_text(t, line)
            lines.append(
                JournalLinePublic(
                    row=line.row,
                    state=state,
                    reason=line.reason,
                    message=message,
                    date=line.date,
                    resident=line.resident,
                    programme=line.programme,
                    description=line.description,
                    evidence=line.evidence,
                    action_id=action.public_id if action is not None else None,
                )
            )
        return cls(
            id=journal.public_id,
            file_name=journal.file_name,
            file_kind=journal.file_kind,
            ready=len(to_record(journal)),
            refused=current.refused,
            statuses=dict(current.statuses),
            lines=lines,
        )


def _checker(session: SessionDep, relayer: RelayerService) -> JournalChecker:
    reader = ChainReader(relayer.chain, DocumentStore(relayer.settings))
    return JournalChecker(session, relayer.hromada.id, relayer.hromada.slug, reader)


def _t(user: User) -> Translator:
    return get_translator(user.preferred_language)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=JournalPublic,
    responses=ERRORS,
    openapi_extra=FILE_BODY,
)
def import_journal(
    data: FileBody,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
    name: Annotated[str, Query(max_length=200, description="The file's name, to list the import by")] = "",
) -> Response:
    """Read and check a journal: the preview says, line by line, what will be recorded and what is wrong
    (in the person's language; ``reason`` is a stable code). Nothing is sent yet."""
    try:
        journal = create_import(session, _checker(session, relayer), user, name, data)
    except JournalFileError as error:
        raise JournalFileRefusedError(error) from None
    return idempotency.respond(JournalPublic.of(journal, _t(user)), status.HTTP_201_CREATED)


def _find(session: SessionDep, relayer: RelayerService, journal_id: str) -> JournalImport:
    journal = find_import(session, relayer.hromada.slug, journal_id)
    if journal is None:
        raise NotFoundError("There is no such journal in this hromada.")
    return journal


@router.get("/{journal_id}", response_model=JournalPublic, responses=error_responses(401, 403, 404))
def get_journal(
    journal_id: JournalId, user: CouncilUser, session: SessionDep, relayer: RelayerDep
) -> JournalPublic:
    """The journal's lines and where each stands (follow the recording with it)."""
    return JournalPublic.of(_find(session, relayer, journal_id), _t(user))


@router.post(
    "/{journal_id}/recording",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JournalPublic,
    responses=ERRORS,
)
def record_journal(
    journal_id: JournalId,
    user: CouncilUser,
    session: SessionDep,
    relayer: RelayerDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Check the lines again and queue every good one (``recordCase`` through the relayer, in batches). Lines
    already recorded or waiting are not queued again: importing or recording twice records nothing more."""
    journal = _find(session, relayer, journal_id)
    record_lines(session, relayer, _checker(session, relayer), user, journal)
    return idempotency.respond(JournalPublic.of(journal, _t(user)), status.HTTP_202_ACCEPTED)

"""The capstone's phases and their fields (SPEC §4), written once as a table.

`TABLE` lists, phase by phase, every field a learner fills in: its kind, its label and help text, whether (and
with which message) completing the phase requires it, the columns of each row of a list field, and the upload
that records a file in it. Everything else is derived from it: the order of the phases and their labels, the
fields of each phase, what completing a phase lacks (`domain.phases.missing_fields`), the declared shape of
the input (`domain.capstone_rules`), the phase form (`templates/capstones/_phase_form.html` loops over it), the
demo seed, the draft columns the caches treat as quiet and the API's phase fields (`api_field_specs()`).

Kinds of field: "lists" (named lists of short text entries: the findings), "rows" (a list of rows with
`columns`), "markdown" (long text), "url" (an http(s) link or an uploaded file's download path) and "choice"
(one of `choices`). Kinds of row column: "text" (one line), "long" (a few lines), "url", "date" and "choice".
Plain data only: no Flask or SQLAlchemy here.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_ROWS = 100
MAX_TEXT = 20_000
MAX_CELL = 2_000
MAX_URL = 500

FINDING_KINDS = ("threats", "vulnerabilities", "timeline", "evidence")
ARTIFACT_TYPES = ("link", "file", "log", "screenshot", "capture", "report", "other")
PRESENTATION_TYPES = ("video", "slides", "document", "interactive")


@dataclass(frozen=True)
class Column:
    """One column of a row field."""

    name: str
    label: str
    kind: str = "text"                  # text, long, url, date, choice
    required: str | None = None         # a row that says something must have it: the message when it does not
    choices: tuple[str, ...] = ()       # choice: the values allowed (the first is the form's default)
    max_length: int = MAX_CELL
    placeholder: str = ""


@dataclass(frozen=True)
class Upload:
    """A file attached to a field: the name it is uploaded under and the upload kinds accepted, each with the
    label of its file input on the form."""

    name: str
    kinds: tuple[tuple[str, str], ...]   # (upload kind, input label)

    @property
    def kind_names(self) -> tuple[str, ...]:
        return tuple(kind for kind, _ in self.kinds)


@dataclass(frozen=True)
class Field:
    """One field of a phase: a column of capstone_projects of the same name."""

    name: str
    kind: str                           # lists, rows, markdown, url, choice
    label: str                          # the form's label (a url field's input reads "<label> (link)")
    noun: str                           # how the history names it: "Saved a draft of Reporting: report link"
    help: str = ""                      # the hint under the field ("" for a markdown field: the Markdown hint)
    required: str | None = None         # completing the phase needs it: the message when it is missing
    columns: tuple[Column, ...] = ()    # rows: the columns of one row
    complete_with: tuple[str, ...] = ()  # rows: the columns a row must fill to count towards completion
    lists: tuple[str, ...] = ()         # lists: the names of the lists
    choices: tuple[str, ...] = ()       # choice: the values allowed
    upload: Upload | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Phase:
    key: str
    label: str
    help: str
    fields: tuple[Field, ...]


_LINK_HINT = "an http(s) link, or /files/<key> of an upload"

TABLE: tuple[Phase, ...] = (
    Phase("investigation", "Investigation",
          "Record what you found: threats, vulnerabilities, a timeline and evidence (at least one finding), and the "
          "artifacts that support them (links or uploaded files).", (
              Field("investigation_findings", "lists", "Findings", "findings", lists=FINDING_KINDS,
                    required="Record at least one finding (a threat, vulnerability, timeline entry or evidence)."),
              Field("investigation_artifacts", "rows", "Artifacts", "artifacts",
                    "Logs, captures, screenshots, reports: a link, or upload a file below.",
                    columns=(Column("type", "Type", "choice", choices=ARTIFACT_TYPES),
                             Column("url", "Link", "url", placeholder="https://…"),
                             Column("description", "Description", "long")),
                    upload=Upload("investigation_artifacts", (("evidence", "Upload a file"),))),
          )),
    Phase("decision_making", "Decision making",
          "Record each decision with its rationale and when it was made (at least one, with a rationale), then "
          "analyse the decisions as a whole.", (
              Field("decisions_made", "rows", "Decisions", "decisions",
                    "What was decided, why, and on which day.",
                    required="Record at least one decision with its rationale.",
                    columns=(Column("decision", "Decision", required="say what was decided"),
                             Column("rationale", "Rationale", "long"),
                             Column("decided_at", "Decided on", "date", placeholder="2026-11-02")),
                    complete_with=("decision", "rationale")),
              Field("decision_analysis", "markdown", "Decision analysis", "decision analysis",
                    "How the decisions fit together, the trade-offs and what you would change. Markdown.",
                    required="Write the decision analysis."),
          )),
    Phase("design_remediation", "Design & remediation",
          "Attach or link your design documents and write the remediation plan (required).", (
              Field("design_documents", "rows", "Design documents", "design documents",
                    "A link, or upload a document below.",
                    columns=(Column("title", "Title", required="give the document a title"),
                             Column("url", "Link", "url", placeholder="https://…"),
                             Column("description", "Description", "long")),
                    upload=Upload("design_documents", (("document", "Upload a file"),))),
              Field("remediation_plan", "markdown", "Remediation plan", "remediation plan",
                    required="Write the remediation plan."),
          )),
    Phase("reporting", "Reporting",
          "Summarise the report (required), link or upload the full report, and list the key findings with their "
          "impact and a recommendation (at least one).", (
              Field("report_summary", "markdown", "Report summary", "report summary",
                    required="Write the report summary."),
              Field("report_document_url", "url", "Full report", "report link",
                    "A link to the report, or upload it below.",
                    upload=Upload("report_document", (("document", "Upload a file"),))),
              Field("report_key_findings", "rows", "Key findings", "key findings",
                    "Each finding with its impact and your recommendation.",
                    required="Record at least one key finding.",
                    columns=(Column("finding", "Finding", required="state the finding"),
                             Column("impact", "Impact", "long"),
                             Column("recommendation", "Recommendation", "long")),
                    complete_with=("finding",)),
          )),
    Phase("presentation", "Presentation",
          "Link or upload your presentation and say what kind it is (both required). Completing this phase "
          "submits the capstone for mentor review.", (
              Field("presentation_url", "url", "Presentation", "presentation link",
                    "A link to the recording, slides or document, or upload it below.",
                    required="Give a presentation link or upload a file.",
                    upload=Upload("presentation", (("document", "Upload slides or a document"),
                                                   ("video", "Upload a video")))),
              Field("presentation_type", "choice", "Presentation type", "presentation type",
                    choices=PRESENTATION_TYPES,
                    required=f"Choose a presentation type: {', '.join(PRESENTATION_TYPES)}."),
              Field("presentation_notes", "markdown", "Presenter notes", "presenter notes",
                    "Optional: the audience, the length, what to look for. Markdown."),
          )),
)

# ---- derived -----------------------------------------------------------------------------------------------------

PHASES: tuple[str, ...] = tuple(p.key for p in TABLE)
PHASE_LABELS: dict[str, str] = {p.key: p.label for p in TABLE}
PHASE_HELP: dict[str, str] = {p.key: p.help for p in TABLE}
SPECS: dict[str, Phase] = {p.key: p for p in TABLE}
FIELDS: dict[str, Field] = {f.name: f for p in TABLE for f in p.fields}
PHASE_FIELDS: dict[str, tuple[str, ...]] = {p.key: tuple(f.name for f in p.fields) for p in TABLE}
PHASE_OF_FIELD: dict[str, str] = {f.name: p.key for p in TABLE for f in p.fields}
FIELD_NAMES: tuple[str, ...] = tuple(FIELDS)
ROW_FIELDS: dict[str, tuple[str, ...]] = {f.name: f.column_names for f in FIELDS.values() if f.kind == "rows"}
MARKDOWN_FIELDS: tuple[str, ...] = tuple(n for n, f in FIELDS.items() if f.kind == "markdown")
URL_FIELDS: tuple[str, ...] = tuple(n for n, f in FIELDS.items() if f.kind == "url")
FIELD_LABELS: dict[str, str] = {n: f.noun for n, f in FIELDS.items()}

# Uploads: the name a file is attached under -> (phase, the field that records it, the upload kinds accepted).
FILE_FIELDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    f.upload.name: (PHASE_OF_FIELD[f.name], f.name, f.upload.kind_names) for f in FIELDS.values() if f.upload}
FILE_FIELD_OF_PHASE: dict[str, str] = {phase: name for name, (phase, _, _) in FILE_FIELDS.items()}
FILE_TARGETS: tuple[str, ...] = tuple(dict.fromkeys(target for _, target, _ in FILE_FIELDS.values()))


def completed_at(phase: str) -> str:
    """The name of the column (and attribute) holding when `phase` was completed: `<phase>_completed_at`."""
    if phase not in SPECS:
        raise KeyError(phase)
    return f"{phase}_completed_at"


COMPLETED_AT_COLUMNS: tuple[str, ...] = tuple(completed_at(p) for p in PHASES)


def upload_of_phase(phase: str) -> Upload | None:
    """The upload a phase takes (at most one), with its field."""
    return next((f.upload for f in SPECS[phase].fields if f.upload), None)


def api_field_specs() -> tuple[Field, ...]:
    """Every phase field in phase order: what the API's capstone schemas (PATCH body, detail) list."""
    return tuple(FIELDS.values())

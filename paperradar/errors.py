"""Every error paperradar raises on purpose, in one tree.

Catch :class:`PaperradarError` to handle anything paperradar reports (the CLI
does, turning it into a one-line message and an exit status); catch a branch
(:class:`StoreError`, :class:`NetworkError`, :class:`InputError`, ...) to react to one
kind. A message always names the thing at fault: a file and line, a field,
a URL, a setting. Classes that older code caught as ``ValueError`` or
``RuntimeError`` still are, so nothing that caught them before breaks.

::

    PaperradarError
    ├── ConfigError                  a setting is missing or invalid
    │   └── LLMConfigError
    ├── InputError                   bad input data; names file, line, field
    │   ├── FieldError               one record's field (becomes a Rejection)
    │   ├── XMLProblem               unsafe or malformed XML
    │   ├── DatasetError             an evaluation/training data set (CSAbstruct, BEIR, references)
    │   ├── PromptError              a prompt file
    │   ├── LibraryError             a library file (BibTeX, RIS, CSL-JSON, Zotero CSV) cannot be read at all
    │   └── FormError                a web request's parameter (names it); a 400 page
    ├── StoreError                   the store cannot be opened, read or written
    │   └── StoreNotFound            a read-only command was pointed at no store
    ├── NetworkError                 an HTTP exchange failed for good
    │   ├── FetchError               a source answered, but not usefully
    │   │   ├── FetchUnavailable     the source cannot be reached at all
    │   │   ├── ApiError             the export API said the request was bad
    │   │   └── HarvestError         a harvest must stop (loops, limits); resumable
    │   ├── ResponseTooLarge         a body went past the size cap
    │   └── DeadlineExceeded         a request went past its overall deadline
    ├── SearchIndexError             the search index cannot be used
    │   └── IndexDamaged             a check found index files damaged; names file and problem
    ├── EmbeddingError               an embedding backend failed
    ├── LLMError                     an LLM request failed for good
    │   └── LLMResponseError         the reply held no usable summary
    ├── DigestError                  a digest cannot be made as asked
    ├── ProfileError                 a reader profile is invalid or cannot be used as asked
    │   └── ProfileNotFound          no profile has that name
    ├── SiteError                    the static site cannot be written where asked
    ├── DeliveryError                an e-mail could not be delivered (recorded; the next run retries)
    └── AuthError                    a web login, session, CSRF token or signed link is refused
"""

from __future__ import annotations


class PaperradarError(Exception):
    """Root of every error paperradar raises on purpose."""


class ConfigError(PaperradarError, ValueError):
    """A setting is missing or invalid; the message says which and where to give it."""


class LLMConfigError(ConfigError):
    """An LLM setting is missing or invalid; the message says which and how to give it."""


class InputError(PaperradarError, ValueError):
    """Input data is unusable; the message names the file, line and field."""


class FieldError(InputError):
    """A record's field is missing or has the wrong type."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class XMLProblem(InputError):
    """The document cannot be read as safe, well-formed XML."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class DatasetError(InputError):
    """An evaluation or training data set (CSAbstruct, BEIR, reference digests) is
    missing or malformed; the message names file and line."""


class PromptError(InputError):
    """The prompt file is malformed (no version line or missing sections)."""


class FormError(InputError):
    """A web request's parameter is unusable (too long, not a date, unknown mode);
    ``field`` names it, and the page or JSON answer says what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class StoreError(PaperradarError, RuntimeError):
    """The store cannot be opened, is from an unknown future schema, or refused a write."""


class StoreNotFound(StoreError):  # reads as what happened
    """A command that only reads was pointed at a store that does not exist."""


class NetworkError(PaperradarError):
    """An HTTP exchange failed for good (after the retries the policy allows)."""


class FetchError(NetworkError):
    """A source answered, but not with something usable (after retries)."""


class FetchUnavailable(FetchError):  # the name says what callers care about
    """The source cannot be reached at all: offline, DNS failure, connection refused or timed out."""


class ApiError(FetchError):
    """The export API's feed is its way of saying the request was bad."""


class HarvestError(FetchError):
    """A harvest had to stop (a repeated resumption token, too many pages, no progress);
    the cursor stays where it was, so a rerun resumes."""


class ResponseTooLarge(NetworkError):
    """A response body went past the configured size cap."""


class DeadlineExceeded(NetworkError):
    """A request went past its overall deadline (a server trickling bytes, say)."""


class SearchIndexError(PaperradarError, RuntimeError):
    """The search index cannot be used (missing, damaged, from another format)."""


class IndexDamaged(SearchIndexError):
    """The index failed its self-check: a file is missing, truncated or fails its checksum.
    ``problems`` lists them; ``paperradar index`` repairs or rebuilds."""

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class EmbeddingError(PaperradarError, RuntimeError):
    """An embedding backend cannot be loaded or answered badly."""


class LLMError(PaperradarError, RuntimeError):
    """An LLM request failed for good. ``retryable`` says whether it was a transient kind."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable

    @property
    def fatal(self) -> bool:
        """Errors that will hit every paper the same way: wrong key, URL or model."""
        return self.status in (401, 403, 404)


class LLMResponseError(PaperradarError, ValueError):
    """The reply holds no usable summary; the message says what was wrong."""


class DigestError(PaperradarError, ValueError):
    """A digest cannot be made as asked (e.g. no listings on that date); the message says why."""


class LibraryError(InputError):
    """A library file cannot be read at all (unknown format, not UTF-8, not JSON/CSV); one bad entry
    in a readable file is a rejection instead, and the other entries still import."""


class ProfileError(PaperradarError, ValueError):
    """A reader profile is invalid (bad name, unknown verdict) or cannot be used as asked."""


class ProfileNotFound(ProfileError):  # reads as what happened
    """No profile has that name; the message lists the ones there are."""
class SiteError(PaperradarError, RuntimeError):
    """The static site cannot be written where asked (the folder is a file, say)."""


class DeliveryError(PaperradarError, RuntimeError):
    """An e-mail could not be delivered (the record keeps why; the next run retries)."""


class AuthError(PaperradarError):
    """A web login, session, form token (CSRF) or signed link is refused; the message says why
    (a 403 page, never a stack trace)."""

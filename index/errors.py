"""Error hierarchy shared by index/ and service/; surfaces map each type to a status code."""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base of every error newsdesk raises on purpose. The message says what to do next."""

    code = "newsdesk_error"


class InvalidArticle(NewsdeskError):
    """An article cannot be ingested (empty, binary, too long, no text...)."""

    code = "invalid_article"


class ArticleNotFound(NewsdeskError):
    """No article has the given id."""

    code = "article_not_found"


class InvalidRequest(NewsdeskError):
    """A request is malformed in a way the caller can fix (bad filter, bad date)."""

    code = "invalid_request"

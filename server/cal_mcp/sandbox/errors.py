"""Cal.com's error envelope, as its API v2 HTTP exception filter writes it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

_CODES = {
    400: "BadRequestException",
    401: "UnauthorizedException",
    403: "ForbiddenException",
    404: "NotFoundException",
    405: "MethodNotAllowedException",
    409: "ConflictException",
    500: "InternalServerErrorException",
    501: "NotImplementedException",
}


class CalHTTPError(Exception):
    """Raised by sandbox routes; rendered as Cal's ``{"status": "error", ...}`` envelope."""

    def __init__(
        self, status: int, message: str, details: Any = None, *, headers: dict[str, str] | None = None,
        hide_details: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers or {}
        # Cal's production filter sends no ``details`` (http-exception.filter.ts: IS_PRODUCTION).
        self.hide_details = hide_details

    @property
    def code(self) -> str:
        return _CODES.get(self.status, "HttpException")


def bad_request(message: str, details: Any = None) -> CalHTTPError:
    return CalHTTPError(400, message, details)


def unauthorized(message: str = "Invalid Access Token.") -> CalHTTPError:
    return CalHTTPError(401, message)


def forbidden(message: str) -> CalHTTPError:
    return CalHTTPError(403, message)


def not_found(message: str) -> CalHTTPError:
    return CalHTTPError(404, message)


def error_response(request: Request, exc: CalHTTPError) -> JSONResponse:
    details = exc.details if exc.details is not None else {"message": exc.message, "statusCode": exc.status}
    error: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if not exc.hide_details:
        error["details"] = details
    body = {
        "status": "error",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "path": request.url.path,
        "error": error,
    }
    return JSONResponse(body, status_code=exc.status, headers={"X-Request-Id": "sandbox", **exc.headers})

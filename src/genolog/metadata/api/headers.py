"""Security headers on every response: no framing by other sites, a Content-Security-Policy, no sniffing.

The web interface's pages load only this server's own stylesheet and script (no inline ``<script>``,
``<style>`` or event handlers), so their policy allows nothing else; a script injected into a page by a
bug would not run. GraphiQL, Swagger UI and ReDoc are third-party applications whose libraries add
``<style>`` elements at run time (and ReDoc searches in a ``blob:`` worker), so those three pages also
allow inline styles and blob workers, never inline scripts. A response that already carries a policy
keeps it: the web storage sends its own sandbox (``genolog.web.storage``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_COMMON = (
    "default-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_POLICY = f"{_COMMON}; style-src 'self'; font-src 'self'"
TOOL_POLICY = f"{_COMMON}; style-src 'self' 'unsafe-inline'; font-src 'self' data:; worker-src 'self' blob:"
TOOL_PAGES = frozenset({"/graphql", "/docs", "/redoc"})

_ALWAYS = (
    (b"x-frame-options", b"DENY"),  # for browsers without CSP's frame-ancestors
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # project and sample names in URLs stay on this server
)


def policy_for(path: str) -> str:
    return TOOL_POLICY if path in TOOL_PAGES else PAGE_POLICY


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response (plain ASGI, as ``ProcessTimeMiddleware``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = policy_for(scope["path"]).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", policy))
                headers.extend(header for header in _ALWAYS if header[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = ["PAGE_POLICY", "TOOL_POLICY", "SecurityHeadersMiddleware", "policy_for"]

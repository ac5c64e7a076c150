"""Security headers on every response: no framing by other sites, a Content-Security-Policy, no sniffing.

The web interface's pages load only this server's own stylesheet and script (no inline ``<script>``,
``<style>`` or event handlers), so their policy allows nothing else; a script injected into a page by a
bug would not run. GraphiQL, Swagger UI and ReDoc are third-party applications whose libraries add
``<style>`` elements at run time (and ReDoc searches in a ``blob:`` worker), so those three pages also
allow inline styles and blob workers; their one inline start-up ``<script>`` (written by FastAPI and by
GraphiQL's template) is allowed by its SHA-256, computed from the page as it is sent, so no other inline
script runs there either. A response that already carries a policy keeps it: the web storage sends its
own sandbox (``genolog.web.storage``).
"""

from __future__ import annotations

import base64
import hashlib
import re

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


_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def policy_for(path: str) -> str:
    return TOOL_POLICY if path in TOOL_PAGES else PAGE_POLICY


def with_script_hashes(policy: str, page: bytes) -> str:
    """`policy` allowing exactly the inline scripts of `page` (a tool page's HTML, which we trust)."""
    hashes = [
        base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() for m in _INLINE_SCRIPT.finditer(page)
    ]
    allowed = " ".join(f"'sha256-{h}'" for h in hashes)
    return policy.replace("script-src 'self'", f"script-src 'self' {allowed}") if hashes else policy


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response (plain ASGI, as ``observability.ObservabilityMiddleware``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        policy = policy_for(path)
        held: list[Message] = []  # a tool page, kept until its whole body is known

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message["headers"] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in _ALWAYS if header[0] not in present)
                if b"content-security-policy" in present:
                    await send(message)
                elif path in TOOL_PAGES and _is_html(headers):
                    held.append(message)
                else:
                    headers.append((b"content-security-policy", policy.encode()))
                    await send(message)
            elif held:
                held.append(message)
                if not message.get("more_body", False):
                    page = b"".join(m.get("body", b"") for m in held[1:])
                    held[0]["headers"].append(
                        (b"content-security-policy", with_script_hashes(policy, page).encode())
                    )
                    for part in held:
                        await send(part)
            else:
                await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.startswith(b"text/html") for name, value in headers)


__all__ = ["PAGE_POLICY", "TOOL_POLICY", "SecurityHeadersMiddleware", "policy_for"]

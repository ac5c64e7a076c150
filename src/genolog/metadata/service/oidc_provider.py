"""The OpenID Connect provider of ``[auth]``: its discovery document, its signing keys, and the JWTs it
issues, verified.

A JWT (an ID token, or an access token that is a JWT) is accepted when its signature verifies with one
of the keys the provider publishes (``jwks_uri`` of ``<issuer>/.well-known/openid-configuration``), its
``iss`` is the configured issuer, its ``aud`` names an accepted audience, it has not expired and its
``nbf``/``iat`` are not in the future (a minute of clock skew allowed). Every refusal is an
``Unauthenticated`` (401) naming the problem; a provider that cannot be reached is ``Unavailable`` (503:
the token may well be good, so the client should retry rather than get a new one).

The discovery document and the keys are kept for ``jwks_cache_seconds``. A token signed with a key id
the cached set lacks (the provider rotated its keys) refetches them, at most once per
``jwks_refetch_seconds``, so a flood of tokens with made-up key ids costs the provider one request.
When a scheduled refetch fails, the keys already held keep working; a provider that cannot be reached
is asked again after ``jwks_refetch_seconds`` at the earliest (meanwhile: the same 503).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import logging
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from genolog.metadata.errors import Unauthenticated, Unavailable
from genolog.metadata.settings import AuthSettings

if TYPE_CHECKING:  # joserfc (and cryptography, some 70 ms) is imported by the first token: not at startup
    from joserfc.jwk import Key, KeySet

log = logging.getLogger(__name__)

#: Signatures with the provider's published public keys only: never ``none`` nor a shared-secret HMAC
#: (whose "key" would be public).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LEEWAY_SECONDS = 60  # clock skew between the provider and this server
NOT_CONFIGURED = (
    "This server does not accept OpenID Connect tokens: no [auth] issuer is configured "
    "(use a genolog API token from `genolog token create`)"
)


def looks_like_jwt(token: str) -> bool:
    """Three non-empty dot-separated parts: a JWS in compact form (genolog's own tokens have no dots)."""
    parts = token.split(".")
    return len(parts) == 3 and all(parts)


def _segment(text: str) -> dict[str, Any]:
    try:
        value = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        raise Unauthenticated("The bearer token is not a well-formed JWT") from None
    if not isinstance(value, dict):
        raise Unauthenticated("The bearer token is not a well-formed JWT")
    return value


def _when(seconds: Any) -> str:
    try:
        return f"{datetime.datetime.fromtimestamp(float(seconds), datetime.UTC):%Y-%m-%d %H:%M:%S} UTC"
    except (TypeError, ValueError, OverflowError, OSError):
        return repr(seconds)


def _same_issuer(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


@dataclass(frozen=True)
class Endpoints:
    """What the provider's discovery document says, as far as genolog needs it."""

    authorization: str
    token: str
    jwks: str
    end_session: str | None


class OidcProvider:
    """The configured provider: shared by every request of the service (thread-safe)."""

    def __init__(self, settings: AuthSettings, http: httpx.Client | None = None) -> None:
        assert settings.issuer and settings.client_id, "OidcProvider needs [auth] issuer and client_id"
        self.settings = settings
        self.issuer: str = settings.issuer
        self.client_id: str = settings.client_id
        self._http = http or httpx.Client(timeout=settings.timeout, follow_redirects=False)
        self._owns_http = http is None
        self._lock = threading.Lock()
        self._endpoints: Endpoints | None = None
        self._keys: dict[str, Key] = {}
        self._key_set: KeySet | None = None
        self._fetched_at = -float("inf")  # time.monotonic() of the last fetch of the keys
        self._attempted_at = -float("inf")  # ... and of the last attempt, which may have failed
        self._failure: Unavailable | None = None  # why the last attempt failed

    def close(self) -> None:
        """Close the connections kept open to the provider (the HTTP client's, when this made it)."""
        if self._owns_http:
            self._http.close()

    # -- the provider's documents ------------------------------------------------------------------

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = self._http.get(url)
        except httpx.HTTPError as e:
            raise Unavailable(
                f"The OpenID provider {self.issuer} cannot be reached for its {what} ({type(e).__name__}: "
                f"{e}); try again later"
            ) from None
        if response.status_code != 200:
            raise Unavailable(
                f"The OpenID provider {self.issuer} answered {response.status_code} for its {what} ({url}); "
                "try again later"
            )
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise Unavailable(f"The OpenID provider {self.issuer} sent a {what} that is not a JSON object")
        return document

    def _fetch(self) -> None:
        """Read the discovery document and the keys (the caller holds the lock)."""
        well_known = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        discovered = self._get_json(well_known, "discovery document")
        if not _same_issuer(str(discovered.get("issuer", "")), self.issuer):
            raise Unavailable(
                f"The discovery document at {well_known} names the issuer {discovered.get('issuer')!r}, "
                f"not the configured {self.issuer!r}: fix [auth] issuer"
            )
        try:
            endpoints = Endpoints(
                authorization=str(discovered["authorization_endpoint"]),
                token=str(discovered["token_endpoint"]),
                jwks=str(discovered["jwks_uri"]),
                end_session=discovered.get("end_session_endpoint"),
            )
        except KeyError as e:
            raise Unavailable(f"The discovery document at {well_known} has no {e.args[0]!r}") from None
        published = self._get_json(endpoints.jwks, "signing keys")
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        try:
            key_set = KeySet.import_key_set(published)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as e:
            raise Unavailable(
                f"The OpenID provider's signing keys ({endpoints.jwks}) cannot be read: {e}"
            ) from None
        self._endpoints = endpoints
        self._key_set = key_set
        self._keys = {key.kid: key for key in key_set.keys if key.kid}
        self._fetched_at = time.monotonic()

    def _may_fetch(self) -> bool:
        """Whether the provider may be asked again: at most once per ``jwks_refetch_seconds``, so that
        neither unknown key ids nor a provider that is down make every request call it."""
        return time.monotonic() - self._attempted_at >= self.settings.jwks_refetch_seconds

    def _fetch_now(self) -> None:
        self._attempted_at = time.monotonic()
        try:
            self._fetch()
        except Unavailable as failure:
            self._failure = failure
            raise
        self._failure = None

    def _refresh_if_stale(self) -> None:
        if (
            self._key_set is not None
            and time.monotonic() - self._fetched_at < self.settings.jwks_cache_seconds
        ):
            return
        if not self._may_fetch():
            if self._key_set is None:
                assert self._failure is not None
                raise self._failure
            return
        try:
            self._fetch_now()
        except Unavailable:
            if self._key_set is None:
                raise
            log.warning("Refreshing the OpenID provider's keys failed; keeping the ones held", exc_info=True)

    def endpoints(self) -> Endpoints:
        with self._lock:
            self._refresh_if_stale()
            assert self._endpoints is not None
            return self._endpoints

    def _key_for(self, kid: str | None) -> Key | KeySet:
        """The key with id ``kid`` (refetching the set once, rate-limited, when it is unknown), or the
        whole set for a token without a key id."""
        with self._lock:
            self._refresh_if_stale()
            if kid is None:
                assert self._key_set is not None
                return self._key_set
            if kid not in self._keys and self._may_fetch():
                self._fetch_now()  # the provider may have rotated its keys
            if kid not in self._keys:
                raise Unauthenticated(
                    f"The OpenID Connect token is signed with key {kid!r}, which the provider {self.issuer} "
                    "does not publish"
                )
            return self._keys[kid]

    # -- tokens ------------------------------------------------------------------------------------

    def verify(
        self, token: str, audiences: list[str] | None = None, nonce: str | None = None
    ) -> dict[str, Any]:
        """The claims of a JWT the provider issued for one of ``audiences`` (default: the accepted
        ones of ``[auth]``); ``Unauthenticated`` naming what is wrong with it."""
        from joserfc import jwt
        from joserfc.errors import BadSignatureError, JoseError

        audiences = audiences or self.settings.accepted_audiences
        header_text, payload_text, _ = token.split(".")
        header, unverified = _segment(header_text), _segment(payload_text)
        issuer = unverified.get("iss")
        # named before the signature is checked, so a token of another provider says so (nothing is trusted)
        if not isinstance(issuer, str) or not _same_issuer(issuer, self.issuer):
            raise Unauthenticated(
                f"The OpenID Connect token was issued by {issuer!r}, not by the configured issuer {self.issuer!r}"
            )
        if header.get("alg") not in ALGORITHMS:
            raise Unauthenticated(
                f"The OpenID Connect token is signed with {header.get('alg')!r}; this server accepts "
                f"{', '.join(ALGORITHMS)}"
            )
        kid = header.get("kid")
        key = self._key_for(kid if isinstance(kid, str) else None)
        try:
            claims = jwt.decode(token, key, algorithms=ALGORITHMS).claims
        except BadSignatureError:
            raise Unauthenticated(
                "The OpenID Connect token's signature does not verify: it was altered, or not signed by the "
                "provider"
            ) from None
        except JoseError as e:
            raise Unauthenticated(
                f"The OpenID Connect token cannot be verified: {e.description or e}"
            ) from None
        self._check_claims(claims, audiences, nonce)
        return claims

    def _check_claims(self, claims: dict[str, Any], audiences: list[str], nonce: str | None) -> None:
        from joserfc import jwt
        from joserfc.errors import ClaimError, ExpiredTokenError, MissingClaimError

        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True},
            exp={"essential": True},
            aud={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise Unauthenticated(f"The OpenID Connect token expired at {_when(claims.get('exp'))}") from None
        except MissingClaimError as e:
            raise Unauthenticated(f"The OpenID Connect token has no {e.claim!r} claim") from None
        except ClaimError as e:
            if e.claim in ("nbf", "iat"):
                raise Unauthenticated(
                    f"The OpenID Connect token is not valid yet: its {e.claim!r} is {_when(claims.get(e.claim))}"
                ) from None
            raise Unauthenticated(f"The OpenID Connect token's {e.claim!r} claim is invalid") from None
        given = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if not set(given) & set(audiences):
            raise Unauthenticated(
                f"The OpenID Connect token is for the audience {', '.join(map(str, given))}, not one this "
                f"server accepts ({', '.join(audiences)})"
            )
        if nonce is not None and claims.get("nonce") != nonce:
            raise Unauthenticated("The ID token's nonce is not the one this sign-in sent")

    # -- the web sign-in (authorization code flow with PKCE) -------------------------------------------

    def authorization_url(self, redirect_uri: str, state: str, nonce: str, code_challenge: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.settings.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        endpoint = self.endpoints().authorization
        separator = "&" if urllib.parse.urlsplit(endpoint).query else "?"
        return endpoint + separator + urllib.parse.urlencode(query)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> str:
        """The ID token the provider gives for an authorization ``code`` (client_secret_basic when there
        is a secret, else a public client)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        secret = self.settings.client_secret
        headers = {"Accept": "application/json"}
        if secret:  # client_secret_basic
            pair = f"{urllib.parse.quote(self.client_id, safe='')}:{urllib.parse.quote(secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form["client_id"] = self.client_id
        endpoint = self.endpoints().token
        try:
            response = self._http.post(endpoint, data=form, headers=headers)
        except httpx.HTTPError as e:
            raise Unavailable(
                f"The OpenID provider {self.issuer} cannot be reached ({type(e).__name__})"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict):
            reason = body.get("error_description") or body.get("error") if isinstance(body, dict) else None
            raise Unauthenticated(
                f"The OpenID provider refused the sign-in ({response.status_code}: {reason or response.text[:200]})"
            )
        id_token = body.get("id_token")
        if not isinstance(id_token, str) or not looks_like_jwt(id_token):
            raise Unauthenticated(
                "The OpenID provider's answer has no ID token (is 'openid' among the scopes?)"
            )
        return id_token

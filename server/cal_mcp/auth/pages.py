"""The few pages a person sees (sign in, consent, errors): small server-rendered HTML, every value escaped."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

from cal_mcp.auth import scopes as scope_names

# No framing (clickjacking on the consent button), no inline script at all, nothing cached, no referrer leak.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f5f5f4;color:#1c1917;margin:0}
main{max-width:30rem;margin:4rem auto;background:#fff;border:1px solid #e7e5e4;border-radius:.75rem;padding:2rem}
h1{font-size:1.35rem;margin:0 0 1rem}p{line-height:1.5}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=password],input[type=text]{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #a8a29e;
border-radius:.4rem;font-size:1rem}button{font-size:1rem;padding:.6rem 1.1rem;border-radius:.4rem;
border:1px solid #1c1917;background:#1c1917;color:#fff;cursor:pointer;margin-top:1rem}
button.secondary{background:#fff;color:#1c1917}.error{background:#fef2f2;border:1px solid #fca5a5;
padding:.75rem;border-radius:.4rem}.muted{color:#57534e;font-size:.9rem}hr{border:0;border-top:1px solid #e7e5e4;
margin:1.5rem 0}ul{padding-left:1.2rem}code{background:#f5f5f4;padding:.1rem .3rem;border-radius:.2rem}
.choice{display:flex;gap:.5rem;align-items:flex-start;font-weight:normal}
"""


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'><title>{escape(title)} · cal-mcp</title>"
            f"<style>{STYLE}</style></head><body><main>{body}</main></body></html>")
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def error_page(title: str, message: str, status: int = 400) -> HTMLResponse:
    return page(title, f"<h1>{escape(title)}</h1><p class=error role=alert>{escape(message)}</p>"
                       "<p class=muted>Close this window and start connecting again from your app.</p>", status)


def _hidden(request_id: str, csrf: str) -> str:
    return (f"<input type=hidden name=request value='{escape(request_id, quote=True)}'>"
            f"<input type=hidden name=csrf value='{escape(csrf, quote=True)}'>")


def signin_page(*, request_id: str, csrf: str, client: str, cal_oauth: bool, api_key: bool,
                error: str | None = None, status: int = 200) -> HTMLResponse:
    parts = [f"<h1>Sign in to connect {escape(client)}</h1>",
             "<p><strong>" + escape(client) + "</strong> wants to use your Cal.com account through cal-mcp.</p>"]
    if error:
        parts.append(f"<p class=error role=alert>{escape(error)}</p>")
    if cal_oauth:
        parts.append(f"<form method=post action='/signin/cal'>{_hidden(request_id, csrf)}"
                     "<button type=submit>Sign in with Cal.com</button></form>")
    if cal_oauth and api_key:
        parts.append("<hr><p class=muted>Or use a Cal.com API key:</p>")
    if api_key:
        parts.append(f"<form method=post action='/signin/api-key'>{_hidden(request_id, csrf)}"
                     "<label for=api_key>Cal.com API key</label>"
                     "<input id=api_key name=api_key type=password autocomplete=off required placeholder='cal_live_…'>"
                     "<p class=muted>Create one in Cal.com under Settings → Developer → API keys. It is checked "
                     "with Cal.com, then stored encrypted.</p>"
                     "<button type=submit>Continue with this key</button></form>")
    return page("Sign in", "".join(parts), status)


def consent_page(*, request_id: str, csrf: str, client: str, client_id: str, redirect_uri: str, signed_in_as: str,
                 scopes: list[str]) -> HTMLResponse:
    items = "".join(f"<li>{escape(scope_names.DESCRIPTIONS[s])} (<code>{escape(s)}</code>)</li>" for s in scopes)
    choice = ""
    if scope_names.SCOPE_WRITE in scopes:
        choice = ("<label>Access</label>"
                  "<label class=choice><input type=radio name=access value=full checked> Full access: read and "
                  "change</label><label class=choice><input type=radio name=access value=read> Read only</label>")
    body = (f"<h1>Allow {escape(client)}?</h1>"
            f"<p>Signed in to Cal.com as <strong>{escape(signed_in_as)}</strong>.</p>"
            f"<p><strong>{escape(client)}</strong> asks to:</p><ul>{items}</ul>"
            f"<p class=muted>Client ID: <code>{escape(client_id)}</code><br>After you decide, you go back to "
            f"<code>{escape(redirect_uri)}</code></p>"
            f"<form method=post action='/consent'>{_hidden(request_id, csrf)}{choice}"
            "<button type=submit name=decision value=approve>Allow</button> "
            "<button type=submit name=decision value=deny class=secondary>Deny</button></form>")
    return page("Allow access", body)

import time

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user chose another language in the menu (the cookie);
    the browser's Accept-Language is ignored, so a borrowed or English-set computer in a
    township office still shows the product in Chinese."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class SessionTimeoutMiddleware:
    """Ends a login after ``SESSION_IDLE_TIMEOUT`` seconds without a request and, however busy,
    ``SESSION_ABSOLUTE_LIFETIME`` seconds after it began (MLPS 2.0: 登录连接超时自动退出).
    A page request is sent to the login page with a message; an API request continues as an
    anonymous one (and is refused there). Goes after AuthenticationMiddleware and
    MessageMiddleware."""

    STARTED = "_login_started"
    LAST_SEEN = "_last_seen"
    # Writing the session on every request costs a query; a minute's precision is enough.
    TOUCH_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                return self._log_out(request, expired)
        return self.get_response(request)

    def _expired(self, request) -> str | None:
        now = int(time.time())
        session = request.session
        started = session.get(self.STARTED)
        last_seen = session.get(self.LAST_SEEN)
        if started is None or last_seen is None:
            # A login from before this middleware, or from force_login: the clock starts now.
            session[self.STARTED] = started or now
            session[self.LAST_SEEN] = now
            return None
        if now - started > settings.SESSION_ABSOLUTE_LIFETIME:
            return "absolute"
        if now - last_seen > settings.SESSION_IDLE_TIMEOUT:
            return "idle"
        if now - last_seen >= self.TOUCH_EVERY:
            session[self.LAST_SEEN] = now
        return None

    def _log_out(self, request, why: str):
        from django.contrib import messages
        from django.contrib.auth import logout
        from django.contrib.auth.views import redirect_to_login

        # Only this browser's login ends; a timeout is not a logout everywhere (core.security).
        request.session_timed_out = True
        logout(request)
        if request.path.startswith("/api/"):
            return self.get_response(request)
        if why == "idle":
            text = _("You were logged out after %(minutes)d minutes without activity.") % {
                "minutes": settings.SESSION_IDLE_TIMEOUT // 60
            }
        else:
            text = _(
                "Your login lasted %(hours)g hours, the longest allowed; please log in again."
            ) % {"hours": settings.SESSION_ABSOLUTE_LIFETIME / 3600}
        messages.warning(request, text)
        return redirect_to_login(request.get_full_path())


class NoStoreForLoggedInMiddleware:
    """Pages and API answers for a logged-in user hold personal data of children: no browser,
    proxy or shared computer may keep a copy (Cache-Control: no-store). DRF sets the token user on
    the Django request too, so API answers to a token are covered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response

from django.urls import include, path
from django.views.i18n import set_language

from residence.accounts.urls import manage_urlpatterns as accounts_manage
from residence.api import api
from residence.people.urls import resident_urlpatterns
from residence.permits.epermit.views import jwks_view, verify_page
from residence.places import urls as place_urls
from residence.places.urls import manage_urlpatterns as places_manage
from residence.registrations.urls import place_urlpatterns

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", api.urls),
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    path("verify/", verify_page, name="verify"),
    path("accounts/", include("residence.accounts.urls")),
    path("people/", include("residence.people.urls")),
    path("me/", include(resident_urlpatterns)),
    path("places/", include((place_urls.urlpatterns + place_urlpatterns, "places"))),
    path("registrations/", include("residence.registrations.urls")),
    path("stays/", include("residence.stays.urls")),
    path("permits/", include("residence.permits.urls")),
    path("employment/", include("residence.employment.urls")),
    path("audit/", include("residence.audit.urls")),
    path("manage/", include((accounts_manage + places_manage, "manage"))),
    path("", include("residence.core.urls")),
    path("", include("residence.workbench.urls")),
]

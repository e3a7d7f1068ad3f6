from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "residence.places"
    label = "places"
    verbose_name = "Places"

    def ready(self) -> None:
        from residence.audit.subjects import subject_register
        from residence.places import selectors as s

        # how the audit trail names places, and which URL parameters name them (refused reads)
        subject_register("building", names=s.buildings_named, exists=s.building_exists, url_kwarg="address_code",
                         unnamed=_("an address outside your area"), noun=_("an address"))
        subject_register("unit", names=s.units_named, exists=s.unit_exists, url_kwarg="unit_id",
                         unnamed=_("a unit outside your area"), noun=_("a unit"))
        subject_register("area", names=s.areas_named, exists=s.area_exists, url_kwarg="code",
                         unnamed=_("an area"), noun=_("an area"))
        subject_register("obligor", names=s.obligors_named, exists=s.obligor_exists,
                         unnamed=_("a declaration obligor outside your area"), noun=_("a declaration obligor"))

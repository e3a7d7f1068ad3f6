from django.urls import path

from residence.places import views

app_name = "places"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("import/", views.address_import, name="import"),
    path("mine/", views.premises, name="premises"),
    path("area/<str:code>/", views.browse, name="area"),
    # building/<address code>/ and unit/<id>/ list residents, so they live in registrations (see config/urls.py)
]

manage_urlpatterns = [
    path("obligors/", views.manage_obligors, name="obligors"),
    path("obligors/new/", views.manage_obligor_new, name="obligor_new"),
    path("obligors/import/", views.manage_obligor_import, name="obligor_import"),
    path("obligors/<int:obligor_id>/", views.manage_obligor, name="obligor"),
]

from django.urls import path

from residence.workbench import compliance, views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("compliance/", compliance.obligors, name="compliance"),
    path("compliance/<int:obligor_id>/", compliance.obligor, name="compliance_obligor"),
]

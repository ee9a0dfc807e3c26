from django.urls import path

from . import views

app_name = "transfers"

urlpatterns = [
    path("", views.transfer_list, name="list"),
    path("<int:pk>/", views.transfer_detail, name="detail"),
    path("<int:pk>/letter.pdf", views.transfer_letter, name="letter"),
    path("<int:pk>/<str:action>/", views.transfer_step, name="step"),
    path("child/<int:child_pk>/propose/", views.propose, name="propose"),
    path("child/<int:child_pk>/move-out/", views.move_out, name="move_out"),
]

from django.urls import path

from . import views

app_name = "teachers"

urlpatterns = [
    path("", views.teacher_list, name="teacher_list"),
    path("export/", views.teacher_export, name="teacher_export"),
    path("new/", views.teacher_new, name="teacher_new"),
    path("<int:pk>/", views.teacher_detail, name="teacher_detail"),
    path("<int:pk>/edit/", views.teacher_edit, name="teacher_edit"),
    path("<int:pk>/transfer/", views.teacher_transfer, name="teacher_transfer"),
    path("<int:pk>/convert/", views.teacher_convert, name="teacher_convert"),
    path("<int:pk>/leave/", views.teacher_leave, name="teacher_leave"),
    path("special-posts/", views.special_posts, name="special_posts"),
    path("staffing/", views.staffing, name="staffing"),
    path("staffing/export/", views.staffing_export, name="staffing_export"),
    path("exchanges/", views.exchange_list, name="exchange_list"),
    path("exchanges/export/", views.exchange_export, name="exchange_export"),
    path("exchanges/new/", views.exchange_new, name="exchange_new"),
    path("exchanges/<int:pk>/end/", views.exchange_end, name="exchange_end"),
    path("exchanges/rotation/", views.rotation, name="rotation"),
    path("allowances/", views.allowance_list, name="allowance_list"),
    path("allowances/new/", views.batch_new, name="batch_new"),
    path("allowances/tiers/", views.tiers, name="tiers"),
    path("allowances/unpaid/", views.allowance_unpaid, name="allowance_unpaid"),
    path(
        "allowances/unpaid/export/", views.allowance_unpaid_export, name="allowance_unpaid_export"
    ),
    path("allowances/export/", views.allowance_payments_export, name="allowance_payments_export"),
    path("allowances/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("allowances/<int:pk>/paid/", views.batch_paid, name="batch_paid"),
    path("allowances/<int:pk>/add/", views.batch_add_payment, name="batch_add_payment"),
    path("allowances/payments/<int:pk>/remove/", views.payment_remove, name="payment_remove"),
    path("trainings/", views.training_list, name="training_list"),
    path("trainings/export/", views.training_export, name="training_export"),
    path("trainings/new/", views.training_new, name="training_new"),
    path("trainings/hours/", views.training_hours, name="training_hours"),
    path("trainings/<int:pk>/", views.training_detail, name="training_detail"),
    path("recruitment/", views.recruitment, name="recruitment"),
]

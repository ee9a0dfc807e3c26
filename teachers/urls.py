from django.urls import path

from .views import allowances, exchanges, home_teaching, staffing, teachers, trainings

app_name = "teachers"

urlpatterns = [
    path("", teachers.teacher_list, name="teacher_list"),
    path("export/", teachers.teacher_export, name="teacher_export"),
    path("new/", teachers.teacher_new, name="teacher_new"),
    path("<int:pk>/", teachers.teacher_detail, name="teacher_detail"),
    path("<int:pk>/edit/", teachers.teacher_edit, name="teacher_edit"),
    path("<int:pk>/transfer/", teachers.teacher_transfer, name="teacher_transfer"),
    path("<int:pk>/convert/", teachers.teacher_convert, name="teacher_convert"),
    path("<int:pk>/leave/", teachers.teacher_leave, name="teacher_leave"),
    path("special-posts/", teachers.special_posts, name="special_posts"),
    path("staffing/", staffing.staffing, name="staffing"),
    path("staffing/export/", staffing.staffing_export, name="staffing_export"),
    path("exchanges/", exchanges.exchange_list, name="exchange_list"),
    path("exchanges/export/", exchanges.exchange_export, name="exchange_export"),
    path("exchanges/new/", exchanges.exchange_new, name="exchange_new"),
    path("exchanges/<int:pk>/end/", exchanges.exchange_end, name="exchange_end"),
    path("exchanges/rotation/", exchanges.rotation, name="rotation"),
    path("allowances/", allowances.allowance_list, name="allowance_list"),
    path("allowances/new/", allowances.batch_new, name="batch_new"),
    path("allowances/tiers/", allowances.tiers, name="tiers"),
    path("allowances/unpaid/", allowances.allowance_unpaid, name="allowance_unpaid"),
    path(
        "allowances/unpaid/export/",
        allowances.allowance_unpaid_export,
        name="allowance_unpaid_export",
    ),
    path(
        "allowances/export/", allowances.allowance_payments_export, name="allowance_payments_export"
    ),
    path("allowances/<int:pk>/", allowances.batch_detail, name="batch_detail"),
    path("allowances/<int:pk>/paid/", allowances.batch_paid, name="batch_paid"),
    path("allowances/<int:pk>/add/", allowances.batch_add_payment, name="batch_add_payment"),
    path("allowances/payments/<int:pk>/remove/", allowances.payment_remove, name="payment_remove"),
    path("trainings/", trainings.training_list, name="training_list"),
    path("trainings/export/", trainings.training_export, name="training_export"),
    path("trainings/new/", trainings.training_new, name="training_new"),
    path("trainings/hours/", trainings.training_hours, name="training_hours"),
    path("trainings/<int:pk>/", trainings.training_detail, name="training_detail"),
    path("recruitment/", staffing.recruitment, name="recruitment"),
    path("home-teaching/", home_teaching.home_teaching_list, name="home_teaching_list"),
    path(
        "home-teaching/export/",
        home_teaching.home_teaching_export,
        name="home_teaching_export",
    ),
    path("home-teaching/new/", home_teaching.home_teaching_new, name="home_teaching_new"),
]

from django.urls import path

from portal import staff_views as views

app_name = "staff"

urlpatterns = [
    path("", views.staff_list, name="list"),
    path("invite/", views.invite, name="invite"),
    path("invites/<int:pk>/resend/", views.invite_resend, name="invite_resend"),
    path("invites/<int:pk>/revoke/", views.invite_revoke, name="invite_revoke"),
    path("<int:user_id>/", views.member, name="member"),
    path("<int:user_id>/deactivate/", views.member_deactivate, name="member_deactivate"),
    path("<int:user_id>/reactivate/", views.member_reactivate, name="member_reactivate"),
    # The invitee's sign-up page: public, the link's token is the credential.
    path("join/<str:token>/", views.join, name="join"),
    path("join/", views.join_form, name="join_form"),
]

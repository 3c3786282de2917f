from django.contrib.auth import views as auth_views

from ..access import public, role_required
from ..forms import ThrottledAuthenticationForm

login = public(
    auth_views.LoginView.as_view(
        authentication_form=ThrottledAuthenticationForm, redirect_authenticated_user=True
    )
)
logout = public(auth_views.LogoutView.as_view())
password_change = role_required("view_reports")(
    auth_views.PasswordChangeView.as_view(success_url="/accounts/password/done/")
)
password_change_done = role_required("view_reports")(auth_views.PasswordChangeDoneView.as_view())

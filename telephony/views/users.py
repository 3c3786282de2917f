"""Dashboard users: the Admin-only list, create, edit and set-password pages, and every
user's own profile (name, email, display time zone)."""

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ..access import role_of, role_required
from ..forms import ProfileForm, UserCreateForm, UserEditForm, UserFilter, UserPasswordForm
from ..htmx import render_page
from ..models import UserProfile

PAGE_SIZE = 25


def users_queryset():
    return (
        get_user_model()
        .objects.select_related("profile")
        .prefetch_related("groups")
        .order_by("username")
    )


@role_required("manage_users")
@require_GET
def user_index(request):
    """The users table; an htmx request (search, filters, paging) gets the table only."""
    filterset = UserFilter(request.GET, queryset=users_queryset())
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for user in page:
        user.role = role_of(user)
    context = {
        "filterset": filterset,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "filtered": any(request.GET.get(key) for key in ("q", "role", "status")),
    }
    return render_page(request, "telephony/user_index.html", context, "user_table")


@role_required("manage_users")
@require_http_methods(["GET", "POST"])
def user_create(request):
    # A new user starts in the creating admin's time zone: usually the same office.
    initial = {"time_zone": UserProfile.for_user(request.user).time_zone}
    form = UserCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, f"Created {user.username} as {form.cleaned_data['role']}.")
        return redirect("telephony:user_index")
    return render(request, "telephony/user_form.html", {"form": form, "creating": True})


@role_required("manage_users")
@require_http_methods(["GET", "POST"])
def user_edit(request, pk):
    user = get_object_or_404(get_user_model(), pk=pk)
    was_active = user.is_active
    form = UserEditForm(request.POST or None, instance=user, actor=request.user)
    if request.method == "POST" and form.is_valid() and form.save():
        if was_active and not user.is_active:
            messages.success(request, f"Deactivated {user.username}: they can no longer log in.")
        else:
            messages.success(request, f"Saved {user.username}.")
        return redirect("telephony:user_index")
    context = {
        "form": form,
        "subject": user,
        "subject_role": role_of(user),
        "was_active": was_active,
        "creating": False,
    }
    return render(request, "telephony/user_form.html", context)


@role_required("manage_users")
@require_http_methods(["GET", "POST"])
def user_password(request, pk):
    user = get_object_or_404(get_user_model(), pk=pk)
    form = UserPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        if user.pk == request.user.pk:
            # Keep the admin logged in after changing their own password.
            update_session_auth_hash(request, user)
        messages.success(
            request, f"Set a new password for {user.username}; any log-in lock-out is lifted."
        )
        return redirect("telephony:user_index")
    return render(request, "telephony/user_password.html", {"form": form, "subject": user})


@role_required("view_reports")
@require_http_methods(["GET", "POST"])
def profile(request):
    """Any signed-in user edits their own name, email and display time zone."""
    # A copy of the user, so that an invalid form does not rename the page's own header.
    me = get_user_model().objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, instance=me)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request, f"Profile saved. Times now show in {form.cleaned_data['time_zone']}."
        )
        return redirect("telephony:profile")
    return render(request, "telephony/profile.html", {"form": form})

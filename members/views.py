"""Pages for countries, their participation periods and a user's notices."""

import math
from base64 import b32encode
from urllib.parse import urlencode

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, FormView, ListView, TemplateView, View
from django.views.generic.detail import SingleObjectMixin
from django_otp import login as otp_login

from hoa_portal.citations import cited
from hoa_portal.views import (
    Column,
    PolicyMixin,
    PortalCreateView,
    PortalDeleteView,
    PortalDetailView,
    PortalHistoryView,
    PortalListView,
    PortalPaginator,
    PortalUpdateView,
    safe_next,
    signed_in,
)

from .forms import (
    CountryForm,
    ParticipationForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    PasswordSetForm,
    PreferencesForm,
    SecondFactorForm,
    UserCreateForm,
    UserForm,
    UserPasswordForm,
)
from .invitations import invitation_pending, invitation_token_generator, password_reset_queue
from .models import (
    Country,
    Notification,
    Participation,
    ParticipationKind,
    Role,
    User,
)
from .permissions import can_manage_users, needs_second_factor
from .resources import ParticipationResource
from .second_factor import (
    has_second_factor,
    recovery_codes_issue,
    recovery_codes_left,
    second_factor_match,
    second_factor_reset,
    second_factor_status,
    totp_device_confirm,
    totp_qr_svg,
    totp_setup_pending,
    totp_setup_start,
)
from .services import (
    invitation_resend,
    notification_list,
    notification_mark_read,
    notifications_mark_all_read,
    user_create,
    user_delete,
    user_deletion_blockers,
    user_preferences_update,
    user_set_active,
    user_update,
)
from .signin import (
    locked_until,
    password_reset_wait,
    sign_in_unlock,
    sign_in_unlock_after_reset,
)


def _current_kinds(country) -> str:
    today = timezone.localdate()
    kinds = {
        p.get_kind_display()
        for p in country.participations.all()
        if (p.since is None or p.since <= today) and (p.until is None or p.until >= today)
    }
    return ", ".join(sorted(str(kind) for kind in kinds))


# --- Countries ----------------------------------------------------------------------------------


class CountryFilter(django_filters.FilterSet):
    participation = django_filters.ChoiceFilter(
        label=_("Participation"),
        choices=ParticipationKind.choices,
        method="filter_participation",
        empty_label=_("any"),
    )

    class Meta:
        model = Country
        fields = ["participation"]

    def filter_participation(self, queryset, name, value):
        current = Participation.objects.current_on(timezone.localdate()).filter(kind=value)
        return queryset.filter(pk__in=current.values("country_id"))


class CountryList(PortalListView):
    model = Country
    title = _("Countries")
    intro = _("The participating and supporting countries of the Heart of Asia – Istanbul Process.")
    filterset_class = CountryFilter
    search_fields = ["code", "name"]
    default_sort = "participation"
    # All 31 countries of the process on one page; the margin leaves room for new ones.
    paginate_by = 100
    detail_url_name = "members:country_detail"
    create_url_name = "members:country_create"
    csv_filename = "countries"
    columns = [
        Column("name", _("Name"), "name", sort="name", link=True),
        Column("code", _("Code"), "code", sort="code"),
        Column(
            "participation",
            _("Participation today"),
            _current_kinds,
            sort="current_kind",
        ),
    ]

    def base_queryset(self):
        # Participating before supporting (the kinds sort that way), so the two stand apart.
        current = Participation.objects.current_on(timezone.localdate()).filter(
            country=OuterRef("pk")
        )
        return Country.objects.prefetch_related("participations").annotate(
            current_kind=Subquery(current.order_by("kind").values("kind")[:1])
        )

    def ordering_for(self, sort: str) -> list[str]:
        # Within a kind, and for any other sort that ties, countries go by name.
        return [*super().ordering_for(sort), "name"]


class CountryDetail(PortalDetailView):
    model = Country
    template_name = "members/country_detail.html"

    def visible(self):
        # String lookups: members imports nothing from the apps that build on it.
        return Country.objects.prefetch_related(
            "participations",
            cbm_roles_by_code(Country),
            "hosted_conferences",
            "memberships__organization",
        )


def cbm_roles_by_code(model) -> Prefetch:
    """A country's or an organization's CBM roles, by CBM code as CBMs are listed everywhere
    (the roles' own order follows CBM's, by approval date). Reached through the relation: members
    imports nothing from the apps that build on it."""
    roles = model._meta.get_field("cbm_roles").related_model
    return Prefetch(
        "cbm_roles",
        queryset=roles.objects.select_related("cbm").order_by("cbm__code", "role", "since"),
    )


class CountryCreate(PortalCreateView):
    model = Country
    form_class = CountryForm
    cancel_url_name = "members:country_list"

    def success_target(self, obj):
        return reverse("members:country_detail", args=[obj.pk])


class CountryUpdate(PortalUpdateView):
    model = Country
    form_class = CountryForm

    def success_target(self, obj):
        return reverse("members:country_detail", args=[obj.pk])


class CountryDelete(PortalDeleteView):
    model = Country

    def after_delete_url(self, obj):
        return reverse("members:country_list")

    def back_url(self, obj):
        return reverse("members:country_detail", args=[obj.pk])


class CountryHistory(PortalHistoryView):
    model = Country

    def back_url(self, obj):
        return reverse("members:country_detail", args=[obj.pk])


# --- Participations -----------------------------------------------------------------------------


class ParticipationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Participation"), choices=ParticipationKind.choices, empty_label=_("any")
    )

    class Meta:
        model = Participation
        fields = ["kind"]


class ParticipationList(PortalListView):
    import_resource = ParticipationResource
    import_kind = "participation"
    model = Participation
    title = _("Participation periods")
    intro = _(
        "When each country took part in the process, in which capacity, and per which source."
    )
    filterset_class = ParticipationFilter
    search_fields = ["country__name", "country__code", "source", "note"]
    default_sort = "country"
    csv_filename = "participations"
    columns = [
        Column("country", _("Country"), "country.name", sort="country__name", link=True),
        Column("kind", _("Participation"), "kind", sort="kind"),
        Column("since", _("Since"), "since", sort="since"),
        Column("until", _("Until"), "until", sort="until"),
        # Cited on the page; the exports keep the text as stored (it goes back in by import).
        Column("source", _("Source"), "source", shown=cited),
    ]

    def base_queryset(self):
        return Participation.objects.select_related("country")

    def detail_url(self, obj):
        return reverse("members:country_detail", args=[obj.country_id])


class ParticipationPages:
    """The model, the page to go back to and the rows read: every participation period view."""

    model = Participation
    page_url_name = "members:country_detail"
    page_of = "country_id"

    def scoped(self):
        return Participation.objects.select_related("country")


class ParticipationCreate(ParticipationPages, PortalCreateView):
    form_class = ParticipationForm
    parent_model = Country
    parent_field = "country"


class ParticipationUpdate(ParticipationPages, PortalUpdateView):
    form_class = ParticipationForm


class ParticipationDelete(ParticipationPages, PortalDeleteView):
    pass


class ParticipationHistory(ParticipationPages, PortalHistoryView):
    pass


# --- Users --------------------------------------------------------------------------------------
# The secretariat's alone, as /api/v1/users/. Writes go through the same services as the API, so
# the rules (a focal point has a country, passwords pass the validators) are stated once.


class UserPageFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(label=_("Role"), choices=Role.choices, empty_label=_("any"))
    country = django_filters.ModelChoiceFilter(
        label=_("Country"),
        queryset=Country.objects.filter(focal_points__isnull=False).distinct().order_by("name"),
        empty_label=_("any"),
    )
    active = django_filters.BooleanFilter(
        field_name="is_active",
        label=_("Status"),
        widget=forms.Select(
            choices=[("", _("any")), ("true", _("active")), ("false", _("deactivated"))]
        ),
    )

    class Meta:
        model = User
        fields = ["role", "country", "active"]


class UserPolicy:
    policy = staticmethod(can_manage_users)


def _user_page(user) -> str:
    return reverse("members:user_detail", args=[user.pk])


class UserList(UserPolicy, PortalListView):
    model = User
    title = _("Users")
    intro = _(
        "Everyone who signs in to the portal or uses its API: secretariat staff, focal points of "
        "the lead countries, analysts."
    )
    filterset_class = UserPageFilter
    search_fields = ["username", "first_name", "last_name", "email"]
    default_sort = "username"
    detail_url_name = "members:user_detail"
    create_url_name = "members:user_create"
    csv_filename = "users"
    columns = [
        Column("username", _("Username"), "username", sort="username", link=True),
        Column("name", _("Name"), lambda u: u.get_full_name(), sort="last_name"),
        Column("email", _("Email"), "email", sort="email"),
        Column("role", _("Role"), "role", sort="role"),
        Column("country", _("Country"), "country.name", sort="country__name"),
        Column("active", _("Active"), "is_active", sort="is_active"),
        Column("last_login", _("Last signed in"), "last_login", sort="last_login"),
    ]

    def base_queryset(self):
        return User.objects.select_related("country")

    def can_create(self) -> bool:
        return can_manage_users(self.request.user)


class UserDetail(UserPolicy, PortalDetailView):
    model = User
    template_name = "members/user_detail.html"

    def visible(self):
        return User.objects.select_related("country")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_self"] = self.object.pk == self.request.user.pk
        context["locked_until"] = locked_until(self.object.username)
        context["needs_second_factor"] = needs_second_factor(self.object)
        context["has_second_factor"] = has_second_factor(self.object)
        context["recovery_codes_left"] = recovery_codes_left(self.object)
        context["invitation_pending"] = invitation_pending(self.object)
        context["invitation_days"] = settings.INVITATION_TIMEOUT // (24 * 60 * 60)
        return context


class UserAction(UserPolicy, PolicyMixin, SingleObjectMixin, View):
    """A button on an account's page that does one thing (a POST) and comes back to the page."""

    model = User
    http_method_names = ["post"]

    def act(self, user: User) -> str:
        """Do it; the message that says it is done."""
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        user = self.get_object()
        messages.success(request, self.act(user))
        return redirect(_user_page(user))


class UserUnlock(UserAction):
    """Lift the lock that too many failed sign-ins put on an account."""

    def act(self, user: User) -> str:
        sign_in_unlock(username=user.username, actor=self.request.user)
        return gettext("%s may sign in again.") % user


class UserInvitationResend(UserAction):
    """Send an account that has not accepted its invitation a new one; the older links die."""

    def post(self, request, *args, **kwargs):
        user = self.get_object()
        try:
            user = invitation_resend(user=user, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                gettext(
                    "A new invitation is on its way to %(email)s; earlier links no longer work."
                )
                % {"email": user.email},
            )
        return redirect(_user_page(user))


class UserServiceSave:
    """Save through the members services, not the form: their refusals become form errors."""

    page_url_name = "members:user_detail"

    def save(self, form) -> User:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        messages.success(self.request, gettext("Saved %s.") % self.object)
        return redirect(self.get_success_url())


class UserCreate(UserPolicy, UserServiceSave, PortalCreateView):
    """A new account, invited by email to choose its password (members.invitations): nobody
    types one for it, so nobody but its owner ever knows one."""

    model = User
    form_class = UserCreateForm
    template_name = "members/user_create.html"
    cancel_url_name = "members:user_list"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            invitation_days=settings.INVITATION_TIMEOUT // (24 * 60 * 60), **kwargs
        )

    def save(self, form) -> User:
        data = form.cleaned_data
        return user_create(
            actor=self.request.user,
            username=data["username"],
            role=data["role"],
            email=data["email"],
            email_language=data["email_language"],
            country=data["country"],
            first_name=data["first_name"],
            last_name=data["last_name"],
        )

    def form_valid(self, form):
        response = super().form_valid(form)
        if response.status_code == 302:
            days = settings.INVITATION_TIMEOUT // (24 * 60 * 60)
            messages.info(
                self.request,
                ngettext(
                    "An invitation to choose a password is on its way to %(email)s; it works "
                    "for %(days)d day, and you can send it again from this page.",
                    "An invitation to choose a password is on its way to %(email)s; it works "
                    "for %(days)d days, and you can send it again from this page.",
                    days,
                )
                % {"email": self.object.email, "days": days},
            )
        return response


class UserUpdate(UserPolicy, UserServiceSave, PortalUpdateView):
    model = User
    form_class = UserForm

    def scoped(self):
        return User.objects.select_related("country")

    def save(self, form) -> User:
        return user_update(user=self.object, actor=self.request.user, changes=form.changes())


class UserPassword(UserPolicy, UserServiceSave, PortalUpdateView):
    model = User
    form_class = UserPasswordForm

    def heading(self) -> str:
        return gettext("A new password for %(user)s") % {"user": self.object}

    def save(self, form) -> User:
        user = user_update(
            user=self.object, actor=self.request.user, changes={"password": form.password}
        )
        if user.pk == self.request.user.pk:
            update_session_auth_hash(self.request, user)  # stay signed in
        return user


class UserActive(UserPolicy, PolicyMixin, DetailView):
    """Deactivate (or reactivate) an account: asked on a page, done by a POST."""

    model = User
    active = False
    template_name = "members/user_active.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["active"] = self.active
        context["is_self"] = self.object.pk == self.request.user.pk
        context["back_url"] = _user_page(self.object)
        return context

    def post(self, request, *args, **kwargs):
        user = self.get_object()
        try:
            user = user_set_active(user=user, actor=request.user, active=self.active)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(_user_page(user))
        done = gettext("%s is active again.") if self.active else gettext("%s is deactivated.")
        messages.success(request, done % user)
        return redirect(_user_page(user))


class UserDelete(UserPolicy, PolicyMixin, DetailView):
    """Only an account that appears in no record and no history; any other is deactivated."""

    model = User
    template_name = "members/user_delete.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_self"] = self.object.pk == self.request.user.pk
        context["blockers"] = user_deletion_blockers(self.object)
        context["back_url"] = _user_page(self.object)
        return context

    def post(self, request, *args, **kwargs):
        user = self.get_object()
        label = str(user)
        try:
            user_delete(user=user, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(_user_page(user))
        messages.success(request, gettext("Deleted %s.") % label)
        return redirect("members:user_list")


class UserHistory(UserPolicy, PortalHistoryView):
    model = User
    page_url_name = "members:user_detail"


# --- Notifications ------------------------------------------------------------------------------


class NotificationList(PolicyMixin, ListView):
    """The signed-in user's in-portal notices, newest first; each leads to its record and is
    marked read when opened through its link, or by its button (or all at once)."""

    policy = staticmethod(signed_in)
    template_name = "members/notifications.html"
    paginate_by = 25
    paginator_class = PortalPaginator

    def get_queryset(self):
        return notification_list(user=self.request.user)

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["notices"] = context["object_list"]
        context["here"] = self.request.get_full_path()
        return context


def _same_site_path(link: str) -> bool:
    """A path of this portal ("/reports/5/"), never another site: not "//host/…", not a scheme,
    not a backslash a browser would read as a slash."""
    return (
        link.startswith("/")
        and not link.startswith("//")
        and "\\" not in link
        and url_has_allowed_host_and_scheme(link, allowed_hosts=None)
    )


def _back_to_notices(request):
    """Back to the page of notices the button was on (`next`, if it is one of ours)."""
    target = request.POST.get("next", "")
    if _same_site_path(target) and target.startswith(reverse("members:notifications")):
        return redirect(target)
    return redirect("members:notifications")


class NotificationAction(PolicyMixin, View):
    policy = staticmethod(signed_in)

    def notice(self, pk: int) -> Notification:
        # Another person's notice, or an email row, is not found: 404, never 403.
        return get_object_or_404(notification_list(user=self.request.user), pk=pk)


class NotificationRead(NotificationAction):
    """Mark one notice read (a POST from its button), then back to the same page."""

    http_method_names = ["post"]

    def post(self, request, pk):
        notification_mark_read(notification=self.notice(pk), actor=request.user)
        return _back_to_notices(request)


class NotificationsReadAll(NotificationAction):
    """Mark every unread notice read, then back to the same page."""

    http_method_names = ["post"]

    def post(self, request):
        marked = notifications_mark_all_read(actor=request.user)
        messages.success(
            request,
            ngettext("Marked %(count)d notice read.", "Marked %(count)d notices read.", marked)
            % {"count": marked},
        )
        return _back_to_notices(request)


class NotificationOpen(NotificationAction):
    """Follow a notice's link to its record, marking it read on the way. Only to a path of this
    portal: a link elsewhere is refused, so a notice can never be an open redirect."""

    http_method_names = ["get"]

    def get(self, request, pk):
        notification = self.notice(pk)
        if not _same_site_path(notification.link):
            messages.error(request, gettext("This notice has no link within the portal."))
            return redirect("members:notifications")
        notification_mark_read(notification=notification, actor=request.user)
        return redirect(notification.link)


# --- The account page ---------------------------------------------------------------------------


def _said(form: PreferencesForm, changes: dict) -> str:
    """The confirmation: each changed preference with its new value, as the form names them."""
    parts = []
    for name, value in changes.items():
        field = form.fields[name]
        if isinstance(value, bool):
            shown = gettext("yes") if value else gettext("no")
        else:
            shown = dict(field.choices).get(value, value)
        parts.append(f"{field.label}: {shown}")
    return gettext("Saved. %(changes)s.") % {"changes": "; ".join(parts)}


class Account(PolicyMixin, FormView):
    """Every signed-in person's own page: who they are, and what reaches their inbox."""

    policy = staticmethod(signed_in)
    template_name = "members/account.html"
    form_class = PreferencesForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        # A copy of the account: a refused form must not change the user the layout shows.
        kwargs["instance"] = User.objects.select_related("country").get(pk=self.request.user.pk)
        return kwargs

    def form_valid(self, form):
        changes = form.changes()
        if not changes:
            messages.info(self.request, gettext("Nothing changed."))
            return redirect("members:account")
        try:
            user_preferences_update(
                user=self.request.user, actor=self.request.user, changes=changes
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        messages.success(self.request, _said(form, changes))
        return redirect("members:account")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = context["form"].instance
        context["account"] = account
        context["needs_second_factor"] = needs_second_factor(account)
        context["second_factor"] = second_factor_status(account)
        context["session_verified"] = self.request.user.is_verified()
        # As the switcher names it ("Dari (Persian)"), in the page's language.
        context["page_language"] = dict(settings.LANGUAGES).get(get_language(), get_language())
        return context


class PasswordChange(PolicyMixin, auth_views.PasswordChangeView):
    """One's own password, from one's account page. The new one ends every other session of the
    account (their session hash no longer matches; this one is kept) and revokes its API tokens
    (members.signals)."""

    policy = staticmethod(signed_in)
    form_class = PasswordChangeForm
    template_name = "members/password_change.html"
    success_url = reverse_lazy("members:account")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)  # saves, and keeps this session signed in
        messages.success(
            self.request,
            gettext(
                "Your password is changed. Your other sessions are signed out, and your API "
                "tokens no longer work: scripts need a new one."
            ),
        )
        return response


class AccountRecoveryCodes(PolicyMixin, View):
    """Ten new recovery codes in place of those left, shown once as at the set-up. Only in a
    session that gave the second factor: a password alone must not mint codes."""

    policy = staticmethod(signed_in)
    http_method_names = ["post"]

    def post(self, request):
        user = request.user
        if not (has_second_factor(user) and user.is_verified()):
            messages.error(
                request,
                gettext(
                    "New recovery codes are issued only after signing in with your "
                    "authenticator app."
                ),
            )
            return redirect("members:account")
        request.session[RECOVERY_CODES_KEY] = recovery_codes_issue(user)
        next_url = urlencode({"next": reverse("members:account")})
        return redirect(f"{reverse('second_factor_recovery')}?{next_url}")


# --- Forgotten passwords and invitations: a link sent by email --------------------------------


def _minutes(seconds: int) -> int:
    return seconds // 60


class PasswordReset(auth_views.PasswordResetView):
    """Behind "Forgot your password?": the address of the account. Whether it is one or not, the
    answer is the same page, after the same work: the request is counted (members.signin) and a
    task is queued with the address; only the task, in a worker, looks for the account and emails
    it (members.invitations). Too many requests get a page that says so, with no email sent, for
    a known and an unknown address alike."""

    form_class = PasswordResetRequestForm
    template_name = "registration/password_reset_form.html"
    success_url = reverse_lazy("password_reset_done")

    def get_context_data(self, **kwargs):
        return super().get_context_data(minutes=_minutes(settings.PASSWORD_RESET_TIMEOUT), **kwargs)

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        wait = password_reset_wait(email=email, client=self.request.META.get("REMOTE_ADDR"))
        if wait is not None:
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            response = render(
                self.request,
                "registration/password_reset_limited.html",
                {"minutes": minutes},
                status=429,
            )
            response["Retry-After"] = str(minutes * 60)
            return response
        password_reset_queue(email=email)
        return redirect(self.get_success_url())


class PasswordResetDone(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(minutes=_minutes(settings.PASSWORD_RESET_TIMEOUT), **kwargs)


class LinkedPasswordSet(auth_views.PasswordResetConfirmView):
    """A new password through a link sent by email (Django's view: the token moves from the
    address into the session before the form is shown, so it never leaks in a Referer). Only an
    active account; once set, the account's lock after failed sign-ins is lifted
    (members.signin.sign_in_unlock_after_reset)."""

    form_class = PasswordSetForm
    reason = ""

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "reason": self.reason}

    def form_valid(self, form):
        response = super().form_valid(form)
        sign_in_unlock_after_reset(user=form.user)
        return response


class PasswordResetConfirm(LinkedPasswordSet):
    """The reset link: a new password, then signing in with it (and the second factor, for a
    role that needs it): the link alone signs nobody in."""

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")
    reason = "password reset by email"


class PasswordResetComplete(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


class InvitationAccept(LinkedPasswordSet):
    """The invitation's link: the new account's owner chooses their password and is signed in;
    the second-factor middleware then takes whoever needs one to set up their app, as at any
    first sign-in. Dead once accepted, or past INVITATION_TIMEOUT."""

    template_name = "registration/invitation_accept.html"
    token_generator = invitation_token_generator
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("home")
    reason = "invitation accepted"

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and invitation_pending(user) else None

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            needs_second_factor=self.user is not None and needs_second_factor(self.user), **kwargs
        )

    def form_valid(self, form):
        response = super().form_valid(form)
        if needs_second_factor(form.user):
            done = gettext("Your password is set. Now set up your authenticator app.")
        else:
            done = gettext("Your password is set: welcome to the portal.")
        messages.success(self.request, done)
        return response


# --- Second factor ------------------------------------------------------------------------------

RECOVERY_CODES_KEY = "second_factor_recovery_codes"
SETUP_DEVICE_KEY = "second_factor_setup_device"


class SecondFactorStep(PolicyMixin, FormView):
    """After the password: the one-time code (members.second_factor), then where they were going."""

    policy = staticmethod(signed_in)
    form_class = SecondFactorForm

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and (user.is_verified() or not needs_second_factor(user)):
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_success_url(self) -> str:
        return safe_next(self.request)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = self.request.POST.get("next") or self.request.GET.get("next", "")
        return context

    def passed(self, device):
        otp_login(self.request, device)
        return redirect(self.get_success_url())


class SecondFactorVerify(SecondFactorStep):
    template_name = "registration/second_factor.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_second_factor(request.user):
            return redirect(f"{reverse('second_factor_setup')}?{request.GET.urlencode()}")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        device = second_factor_match(self.request.user, form.cleaned_data["code"])
        if device is None:
            form.add_error(
                "code", gettext("That code is wrong or was already used: try the next one.")
            )
            return self.form_invalid(form)
        return self.passed(device)


class SecondFactorSetup(SecondFactorStep):
    template_name = "registration/second_factor_setup.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and has_second_factor(request.user):
            return redirect(f"{reverse('second_factor')}?{request.GET.urlencode()}")
        return super().dispatch(request, *args, **kwargs)

    def pending_device(self):
        """The app this session is setting up: one key per set-up, kept while the session goes
        on (a reload shows the key already scanned), started afresh in any other session."""
        return totp_setup_pending(self.request.user, self.request.session.get(SETUP_DEVICE_KEY))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        device = self.pending_device()
        if device is None:
            device = totp_setup_start(self.request.user)
            self.request.session[SETUP_DEVICE_KEY] = device.pk
        context["qr_svg"] = mark_safe(totp_qr_svg(device))  # made here by qrcode, no user input
        context["secret"] = b32encode(device.bin_key).decode()
        return context

    def form_valid(self, form):
        device = self.pending_device()
        if device is None:
            # Another session started a set-up since (or none was started here): its key is
            # the only one that may be confirmed, and this page now shows a new one.
            self.request.session.pop(SETUP_DEVICE_KEY, None)
            form.add_error(
                "code", gettext("This set-up has expired: scan the new code, then type its code.")
            )
            return self.form_invalid(form)
        if not totp_device_confirm(device, form.cleaned_data["code"]):
            form.add_error(
                "code", gettext("That code is wrong: scan the code again, then try the next one.")
            )
            return self.form_invalid(form)
        self.request.session.pop(SETUP_DEVICE_KEY, None)
        otp_login(self.request, device)
        # Shown once, on the next page (and not again on a reload of this one's POST).
        self.request.session[RECOVERY_CODES_KEY] = recovery_codes_issue(self.request.user)
        return redirect(
            f"{reverse('second_factor_recovery')}?{urlencode({'next': self.get_success_url()})}"
        )


class SecondFactorRecoveryCodes(PolicyMixin, TemplateView):
    """The recovery codes just issued, once; then where the person was going."""

    policy = staticmethod(signed_in)
    template_name = "registration/second_factor_recovery.html"

    def get(self, request, *args, **kwargs):
        codes = request.session.pop(RECOVERY_CODES_KEY, None)
        next_url = safe_next(request)
        if not codes:
            return redirect(next_url)
        return self.render_to_response(self.get_context_data(codes=codes, next=next_url))


class UserSecondFactorReset(UserAction):
    """Forget an account's authenticator app (a lost phone): it sets up a new one next time."""

    def act(self, user: User) -> str:
        second_factor_reset(user=user, actor=self.request.user)
        return gettext("%s will set up a new authenticator app at the next sign-in.") % user

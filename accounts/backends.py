"""Authentication by e-mail address, case-insensitively."""

from django.contrib.auth.backends import ModelBackend

from .models import User


class EmailBackend(ModelBackend):
    """Log in with e-mail and password; the logged-in user carries its role without extra queries."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = email or username or kwargs.get(User.USERNAME_FIELD)
        if email is None or password is None:
            return None
        try:
            user = User.objects.get(email__iexact=email.strip())
        except User.DoesNotExist:
            User().set_password(password)  # same cost as a real check: do not reveal who has an account
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        user = User.objects.with_roles().select_related("team").filter(pk=user_id).first()
        return user if user and self.user_can_authenticate(user) else None

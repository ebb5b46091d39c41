# django-unfold's user forms: Django's own, with the theme's password widgets.
from unfold.forms import UserChangeForm, UserCreationForm

from accounts.models import User


class UserCreationAdminForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "name")

from django.contrib.auth.models import AbstractUser


def display_name(user: AbstractUser) -> str:
    """How Beacon names a person everywhere: their full name, else their username."""
    return user.get_full_name() or user.get_username()

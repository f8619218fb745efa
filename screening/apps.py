from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = "Dry-needling screening"

    def ready(self) -> None:
        # Login, logout and failed-login audit events.
        from screening import signals  # noqa: F401

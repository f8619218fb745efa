"""``manage.py create_staff USERNAME --role ROLE``: create one staff account."""

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from screening import services
from screening.roles import Role


class Command(BaseCommand):
    help = "Create a staff account with one role. The password is prompted unless given."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
        parser.add_argument("--password", help="the initial password (prompted if omitted)")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--profession", default="")
        parser.add_argument("--registration-number", default="")

    def handle(self, *args, **opts):
        if opts["role"] not in Role.values:
            raise CommandError(
                f"unknown role {opts['role']!r}; choose one of: {', '.join(Role.values)}",
                returncode=2,
            )
        password = opts["password"]
        if password is None:
            if not sys.stdin.isatty():
                raise CommandError("no terminal to prompt on: pass --password", returncode=2)
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the two passwords differ", returncode=2)
        try:
            user = services.staff_create(
                username=opts["username"],
                role=opts["role"],
                password=password,
                first_name=opts["first_name"],
                last_name=opts["last_name"],
                email=opts["email"],
                profession=opts["profession"],
                registration_number=opts["registration_number"],
            )
        except services.ServiceError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(f"Created {user.username} ({user.get_role_display()}).")

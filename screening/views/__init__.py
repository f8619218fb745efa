"""Thin views grouped by who uses them: patient, desk (front desk), review (practitioner),
manage (clinic admin), plus core pages (home, health check, sign-in)."""

"""/api/fhir/: the read-only FHIR endpoints (namespace ``fhir``)."""

from django.urls import path, re_path

from screening.api import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.Capabilities.as_view(), name="metadata"),
    path(
        "Questionnaire/<str:resource_id>", views.QuestionnaireRead.as_view(), name="questionnaire"
    ),
    path("CodeSystem/<str:resource_id>", views.CodeSystemRead.as_view(), name="code_system"),
    path(
        "QuestionnaireResponse",
        views.QuestionnaireResponseSearch.as_view(),
        name="questionnaire_response_search",
    ),
    path(
        "QuestionnaireResponse/<str:resource_id>",
        views.QuestionnaireResponseRead.as_view(),
        name="questionnaire_response",
    ),
    path("RiskAssessment", views.RiskAssessmentSearch.as_view(), name="risk_assessment_search"),
    re_path(r"^(?P<rest>.*)$", views.UnknownResource.as_view(), name="unknown"),
]

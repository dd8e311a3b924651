from __future__ import annotations

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class StaffPagination(PageNumberPagination):
    """PageNumberPagination (PAGE_SIZE a page) that takes only a positive integer as the page.

    DRF reads an empty ?page= as page 1 and "last" as the last page; here both are a 400,
    as the schema says, and a page past the end stays a 404.
    """

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not (raw.isascii() and raw.isdigit()) or int(raw[:20]) < 1:
            raise ValidationError({self.page_query_param: ["Give a page number from 1."]})
        if len(raw.lstrip("0")) > 18:
            raise NotFound("Invalid page.")
        return raw

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters

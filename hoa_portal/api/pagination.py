from rest_framework.pagination import PageNumberPagination


class PortalPagination(PageNumberPagination):
    """`?page=N&page_size=M`; M is capped at 500 rather than refused."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

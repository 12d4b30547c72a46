"""Page-number paging; every list view orders by a unique key so pages never overlap or skip."""

from rest_framework.pagination import PageNumberPagination


class AtlasPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

import re

from django.utils.translation import gettext
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

# ASCII digits only: int() would also read "٣" or " 3 ", and bounded so it never reads a huge one.
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}", re.ASCII)


class PortalPagination(PageNumberPagination):
    """`?page=N&page_size=M`, M a whole number from 1 to 500 (SPEC §6), else a 400 naming
    `page_size`: DRF would quietly serve its default size for a word and cap a bigger number,
    so a client asking for more rows than it gets would never know. A bad page is a 400 too."""

    page_size = 50
    page_size_query_param = "page_size"
    min_page_size = 1
    max_page_size = 500

    def get_page_size(self, request):
        sent = request.query_params.get(self.page_size_query_param)
        if sent is None:
            return self.page_size
        if not WHOLE_NUMBER.fullmatch(sent) or not (
            self.min_page_size <= int(sent) <= self.max_page_size
        ):
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        gettext("A whole number from %(min)d to %(max)d.")
                        % {"min": self.min_page_size, "max": self.max_page_size}
                    ]
                }
            )
        return int(sent)

    def get_page_number(self, request, paginator=None):
        """The page as sent, if a whole number or `last`: Django's Paginator would also read
        `2.0`, ` 2` and `٢` as 2, which the schema's `integer` does not allow. A CSV or XLSX
        export reads no page but checks it all the same (viewsets.refuse_bad_paging)."""
        sent = request.query_params.get(self.page_query_param, 1)
        if sent in self.last_page_strings or sent == 1:
            return sent
        if WHOLE_NUMBER.fullmatch(sent) and int(sent) >= 1:
            return sent
        raise ValidationError({self.page_query_param: [str(self.invalid_page_message)]})

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise ValidationError({self.page_query_param: [str(exc.detail)]}) from exc

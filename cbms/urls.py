from .records.urls import urlpatterns as records_urls
from .reports.urls import urlpatterns as reports_urls

app_name = "cbms"

urlpatterns = [*records_urls, *reports_urls]

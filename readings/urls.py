app_name = "readings"

urlpatterns: list = []

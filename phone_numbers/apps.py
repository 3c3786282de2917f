from django.apps import AppConfig


class PhoneNumbersConfig(AppConfig):
    name = "phone_numbers"
    verbose_name = "Phone numbers"

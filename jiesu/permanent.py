"""Records that are written once and never changed or deleted (history events, rule versions)."""

from django.core.exceptions import ValidationError


class PermanentRecord:
    """Model mixin: saving an existing row or deleting any row raises `ValidationError`.

    Subclasses name what they refuse in `change_refused` and `delete_refused`."""

    change_refused = "This record is permanent and cannot be changed."
    delete_refused = "This record is permanent and cannot be deleted."

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(self.change_refused)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(self.delete_refused)

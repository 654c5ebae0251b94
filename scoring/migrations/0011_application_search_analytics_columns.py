"""Copies of the client's name and phone and of the store, goods category and cohort on Application,
indexed for the applications list's search and the analytics filters (scoring/application_columns.py).

The data step fills them for the applications that exist (read 2 000 rows at a time), before the
indexes are made, so that its updates do not maintain them row by row. On PostgreSQL it also adds
trigram indexes for the name and phone search (pg_trgm), when the database user may install it.
"""

import scoring.models
from django.conf import settings
from django.db import DatabaseError, migrations, models, transaction

from scoring.services import application_columns


def fill_columns(apps, schema_editor):
    application_columns.backfill(apps.get_model("scoring", "Application"), batch_size=2000)


TRIGRAM_INDEXES = {"application_name_trgm": "search_name", "application_phone_trgm": "phone_digits"}


def add_trigram_indexes(apps, schema_editor):
    """On PostgreSQL, trigram indexes for the list's substring search, where pg_trgm can be installed.

    A B-tree cannot serve LIKE '%петров%'; PostgreSQL otherwise reads every row for an analyst's
    search (the count) and for a rare name (the page). Without the extension (a user not allowed
    to create it) the search still works, by scanning. SQLite has no such index: nothing to do.
    """
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return
    table = apps.get_model("scoring", "Application")._meta.db_table
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)")


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def analyze(apps, schema_editor):
    # PostgreSQL plans the new indexes by the columns' statistics: gather them now rather than at the
    # next autovacuum (every row has just been rewritten).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE scoring_application")


class Migration(migrations.Migration):

    dependencies = [
        ('scoring', '0010_feature_categorical'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='application',
            name='application_officer_recent',
        ),
        migrations.AddField(
            model_name='application',
            name='cohort',
            field=models.CharField(blank=True, default='', editable=False, max_length=8, verbose_name='когорта'),
        ),
        migrations.AddField(
            model_name='application',
            name='goods_category',
            field=models.CharField(blank=True, editable=False, max_length=200, null=True, verbose_name='категория товара'),
        ),
        migrations.AddField(
            model_name='application',
            name='phone_digits',
            field=models.CharField(blank=True, default='', editable=False, max_length=32, verbose_name='цифры телефона'),
        ),
        migrations.AddField(
            model_name='application',
            name='search_name',
            field=models.CharField(blank=True, default='', editable=False, max_length=200, verbose_name='ФИО для поиска'),
        ),
        migrations.AddField(
            model_name='application',
            name='store',
            field=models.IntegerField(blank=True, editable=False, null=True, verbose_name='магазин'),
        ),
        migrations.AlterField(
            model_name='application',
            name='client',
            field=models.ForeignKey(blank=True, null=True, on_delete=scoring.models.ERASE_CLIENT, related_name='applications', to='scoring.client', verbose_name='клиент'),
        ),
        migrations.RunPython(fill_columns, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['officer', '-created_at', 'search_name', 'phone_digits', 'id'], name='application_officer_search'),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['-created_at', 'search_name', 'phone_digits', 'id'], name='application_search'),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['store', 'created_at'], name='application_store_day'),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['goods_category', 'created_at'], name='application_category_day'),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['cohort', '-created_at'], name='application_cohort_recent'),
        ),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
        migrations.RunPython(analyze, migrations.RunPython.noop, elidable=True),
    ]

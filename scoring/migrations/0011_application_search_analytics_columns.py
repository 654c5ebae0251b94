"""Copies of the client's name and phone and of the store, goods category and cohort on Application,
indexed for the applications list's search and the analytics filters (scoring/application_columns.py).

The data step fills them for the applications that exist (read 2 000 rows at a time), before the
indexes are made, so that its updates do not maintain them row by row.
"""

import scoring.models
from django.conf import settings
from django.db import migrations, models

from scoring import application_columns


def fill_columns(apps, schema_editor):
    application_columns.backfill(apps.get_model("scoring", "Application"), batch_size=2000)


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
        migrations.RunPython(analyze, migrations.RunPython.noop, elidable=True),
    ]

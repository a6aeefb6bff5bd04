"""Reference data: appeal types, grades A/B/C and the district-wide default time limits.

All of it stays configurable in the admin; this migration only creates what is missing, so it
never overwrites an administrator's edits. The default limits are the demo default of the
design brief (grade A in natural time, B and C in working time).
"""

from django.db import migrations

APPEAL_TYPES = [
    # code, name, description
    ("complaint", "投诉", "对单位或个人的行为、服务或管理不满，要求纠正或处理。"),
    ("consultation", "咨询", "询问政策、办事流程或相关信息。"),
    ("suggestion", "建议", "对工作、管理或服务提出意见和改进建议。"),
    ("request", "求决", "请求政府部门帮助解决具体问题。"),
    ("report", "举报", "检举违法违规行为。"),
    ("praise", "表扬", "对单位或个人的工作表示感谢、表扬。"),
]

GRADES = [
    # code, name, importance, urgency, definition
    (
        "A",
        "重要紧急",
        "重要",
        "紧急",
        "威胁生命、安全或财产，影响人数众多，或属突发事件，须立即处置。",
    ),
    (
        "B",
        "重要或较紧急",
        "重要",
        "较紧急",
        "事项重要或较为紧急，影响一定范围的群众，须优先办理。",
    ),
    (
        "C",
        "一般",
        "一般",
        "一般",
        "一般性诉求，按常规时限办理。",
    ),
]

# (clock, appeal type code or None, grade code or None, amount, unit)
DEFAULT_LIMITS = [
    # Grade A: natural time.
    ("sign", None, "A", 30, "min"),
    ("contact", None, "A", 1, "h"),
    ("handle", None, "A", 24, "h"),
    # Grade B: working time.
    ("sign", None, "B", 2, "wh"),
    ("contact", None, "B", 1, "wd"),
    ("handle", None, "B", 3, "wd"),
    # Grade C: 3 working days (consultation, suggestion, praise); 5 for complaint, request, report.
    ("sign", None, "C", 4, "wh"),
    ("contact", None, "C", 1, "wd"),
    ("handle", None, "C", 3, "wd"),
    ("handle", "complaint", "C", 5, "wd"),
    ("handle", "request", "C", 5, "wd"),
    ("handle", "report", "C", 5, "wd"),
    # Last resort for any type and grade (e.g. a grade added later without its own limits).
    ("sign", None, None, 4, "wh"),
    ("contact", None, None, 1, "wd"),
    ("handle", None, None, 5, "wd"),
]


def create_reference_data(apps, schema_editor):
    AppealType = apps.get_model("catalog", "AppealType")
    Grade = apps.get_model("catalog", "Grade")
    TimeLimit = apps.get_model("catalog", "TimeLimit")

    types = {}
    for order, (code, name, description) in enumerate(APPEAL_TYPES, start=1):
        types[code], _ = AppealType.objects.get_or_create(
            code=code,
            defaults={"name": name, "description": description, "sort_order": order},
        )
    grades = {}
    for order, (code, name, importance, urgency, definition) in enumerate(GRADES, start=1):
        grades[code], _ = Grade.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "importance": importance,
                "urgency": urgency,
                "definition": definition,
                "sort_order": order,
            },
        )
    for clock, type_code, grade_code, amount, unit in DEFAULT_LIMITS:
        appeal_type = types[type_code] if type_code else None
        grade = grades[grade_code] if grade_code else None
        if not TimeLimit.objects.filter(
            rule__isnull=True, clock=clock, appeal_type=appeal_type, grade=grade
        ).exists():
            TimeLimit.objects.create(
                rule=None,
                clock=clock,
                appeal_type=appeal_type,
                grade=grade,
                amount=amount,
                unit=unit,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_reference_data, migrations.RunPython.noop),
    ]

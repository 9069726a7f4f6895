from flask_openapi3 import APIBlueprint, Tag

tag = Tag(name="reports")
bp = APIBlueprint("reports", __name__, url_prefix="/api/v1/reports", abp_tags=[tag])

from flask_openapi3 import APIBlueprint, Tag

tag = Tag(name="tariffs")
bp = APIBlueprint("tariffs", __name__, url_prefix="/api/v1/tariffs", abp_tags=[tag])

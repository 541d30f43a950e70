{# pandas' html_table.tpl with data attributes per cell (attrs: cell id -> attribute text). #}
{% extends "html_table.tpl" %}
{% block head_tr %}
    <tr>
{% for c in r %}{% if c.is_visible != False %}
{% if c.id is defined %}
      <{{c.type}} {{ attrs.get(c.id, "") }} id="T_{{uuid}}_{{c.id}}" class="{{c.class}}">{{c.display_value}}</{{c.type}}>
{% else %}
      <{{c.type}} {{ corner }} class="{{c.class}} corner">{{ corner_text }}</{{c.type}}>
{% endif %}
{% endif %}{% endfor %}
    </tr>
{% endblock head_tr %}
{% block tr %}
    <tr {{ row_attrs[loop.index0] }}>
{% for c in r %}{% if c.is_visible != False %}
      <{{c.type}} {{ attrs.get(c.id, "") }} id="T_{{uuid}}_{{c.id}}" class="{{c.class}}">{{c.display_value}}</{{c.type}}>
{% endif %}{% endfor %}
    </tr>
{% endblock tr %}

"""The words of single sign-on (web/sso.py): key -> (中文, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "sso.button": ("单点登录", "Single sign-on"),
    "sso.refused.flow": (
        "单点登录未完成：本浏览器没有发起这次登录，或登录已过期。请重新点击“单点登录”。",
        "Single sign-on not completed: this browser did not start it, or it expired. Click “Single sign-on” again.",
    ),
    "sso.refused.provider": (
        "单点登录未成功：身份提供方未予登录，或其应答未通过校验。",
        "Single sign-on failed: the identity provider declined, or its answer failed verification.",
    ),
    "sso.refused.unknown": (
        "单点登录被拒绝：您的统一身份账号在本系统中没有对应的用户。请联系系统管理员为您开通账号。",
        "Single sign-on refused: your identity has no user in this system. Ask an administrator to create yours.",
    ),
    "sso.refused.taken": (
        "单点登录被拒绝：该本地用户已绑定另一个统一身份账号。请联系系统管理员。",
        "Single sign-on refused: this local user is linked to another identity. Ask an administrator.",
    ),
    "sso.refused.privileged": (
        "单点登录被拒绝：管理员和审计用户不能通过单点登录首次绑定，请使用密码登录。",
        "Single sign-on refused: administrators and auditors are not linked by single sign-on; "
        "sign in with your password.",
    ),
    "sso.refused.closed": (
        "单点登录被拒绝：该用户已停用。",
        "Single sign-on refused: this user is deactivated.",
    ),
    "sso.unreachable": (
        "暂时无法连接身份提供方，请稍后再试或使用密码登录。",
        "The identity provider cannot be reached: try again later or sign in with your password.",
    ),
}
